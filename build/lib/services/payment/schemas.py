"""Request and response shapes of the payment service's API."""
