"""The channel service's use cases; each owns its transaction."""
