"""The catalog service's use cases; each owns its transaction."""
