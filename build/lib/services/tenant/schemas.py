"""Request and response shapes of the tenant service's API."""
