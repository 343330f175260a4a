"""Request and response shapes of the catalog service's API."""
