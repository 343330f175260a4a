"""Events between services: outbox, relay, broker, inbox and handlers.

Publishing writes an outbox row in the caller's transaction (``publish``);
a relay sends it through the transport once committed. Consuming applies a
handler and writes an inbox row in one transaction, so a redelivered event is
applied once. RabbitMQ in production and CI (``shared.events.amqp``), an
in-process transport for the embedded default and tests (``InProcessBus``).
"""

from shared.events.catalog import EventType, event_type
from shared.events.envelope import Envelope, EventWithoutTenant, MalformedEvent
from shared.events.handlers import EventHandlers, event_being_handled
from shared.events.memory import DrainReport, InProcessBus
from shared.events.outbox import InvalidPayload, publish
from shared.events.processing import EventProcessor, use_handlers

__all__ = [
    "DrainReport",
    "Envelope",
    "EventHandlers",
    "EventProcessor",
    "EventType",
    "EventWithoutTenant",
    "InProcessBus",
    "InvalidPayload",
    "MalformedEvent",
    "event_being_handled",
    "event_type",
    "publish",
    "use_handlers",
]
