"""Telecart's common library: tenancy, data access, HTTP and messaging.

Every function here takes what it needs as arguments. Nothing reads Flask's
request globals, so the same code runs in a web request and in an event
consumer.
"""

SERVICES = ("tenant", "catalog", "channel", "basket", "order", "payment")
