"""The order service's use cases; each owns its transaction."""
