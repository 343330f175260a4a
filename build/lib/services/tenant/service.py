"""The tenant service's use cases; each owns its transaction."""
