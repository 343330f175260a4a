"""Events between services: outbox, relay, broker, inbox and handlers.

Publishing writes an outbox row in the caller's transaction::

    publish(db.session, "order.placed", {"order_id": order.id})
    db.session.commit()          # the event exists only if this commits

A relay sends committed rows through the transport and marks them sent once
confirmed. Consuming writes an inbox row keyed by (consumer, event id) and
runs the handlers in one transaction, with the event's tenant in context, so
a redelivered event is applied once::

    handlers = EventHandlers("catalog")          # services/catalog/events.py

    @handlers.on("order.placed")
    def reserve_stock(envelope, session): ...    # raise to retry; no commit

    PUBLISHES = (event_type("catalog.stock_reserved", 1, StockReservedSchema,
                            "Stock was held for every line of an order."),)

Transports: RabbitMQ (``amqp``, ``consumer``, ``dead_letters``; run by
``telecart worker <service>``) and, for the embedded default and tests,
``InProcessBus(apps).drain()`` with the same outbox, inbox, retries and dead
letters. Every service also gets the built-in tenant lifecycle handlers
(``builtin``). ``telecart events catalog`` documents every event type.
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
