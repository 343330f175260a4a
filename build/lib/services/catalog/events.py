"""Events the catalog service publishes and the handlers of those it consumes."""

PUBLISHES: tuple[str, ...] = ()
CONSUMES: tuple[str, ...] = ()
