"""Events the channel service publishes and the handlers of those it consumes.

``order.confirmed`` gives the A/B conversions: the handler is a thin wrapper
over ``service.record_order_confirmed`` (tested directly); the bus runs it in
the event's tenant scope and commits it with the inbox row.
"""

from shared.events import Envelope, EventHandlers

from services.channel import service

PUBLISHES: tuple[str, ...] = ()
CONSUMES: tuple[str, ...] = ("order.confirmed",)

handlers = EventHandlers("channel")


@handlers.on("order.confirmed")
def attribute_conversion(envelope: Envelope, session) -> None:
    service.record_order_confirmed(envelope.payload, envelope.occurred_at)
