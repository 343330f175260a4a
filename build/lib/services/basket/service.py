"""The basket service's use cases; each owns its transaction."""
