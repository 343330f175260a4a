"""Events the channel service publishes and the handlers of those it consumes.

``order.confirmed`` gives the A/B conversions: the handler is a thin wrapper
over ``service.record_order_confirmed`` (tested directly); the bus runs it in
the event's tenant scope and commits it with the inbox row.
"""

from services.channel import packs, service
from shared.events import Envelope, EventHandlers

PUBLISHES: tuple[str, ...] = ()
CONSUMES: tuple[str, ...] = ("order.confirmed", "tenant.pack_imported")

handlers = EventHandlers("channel")


@handlers.on("order.confirmed")
def attribute_conversion(envelope: Envelope, session) -> None:
    service.record_order_confirmed(envelope.payload, envelope.occurred_at)


@handlers.on("tenant.pack_imported")
def import_brand_channels(envelope: Envelope, session) -> None:
    """The channel's part of an onboarded pack: channels, placements, content.

    ``packs.import_pack`` commits by itself, with the inbox row the bus added.
    """
    payload = envelope.payload
    if payload.get("service") != "channel":
        return

    pack = {"tenant": payload.get("tenant") or {}, **payload["sections"]}
    packs.import_pack(pack)
