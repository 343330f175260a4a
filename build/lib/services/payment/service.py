"""The payment service's use cases; each owns its transaction."""
