"""Request and response shapes of the order service's API."""
