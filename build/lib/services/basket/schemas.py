"""Request and response shapes of the basket service's API."""
