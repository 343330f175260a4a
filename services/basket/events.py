"""Events the basket service publishes and the handlers of those it consumes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import structlog

from shared.events import EventHandlers, publish

log = structlog.get_logger(__name__)


class BasketAbandonedSchema(ma.Schema):
    basket_id = ma.fields.String(required=True)
    customer_id = ma.fields.String(allow_none=True)
    channel = ma.fields.String(required=True)
    idle_since = ma.fields.String(required=True)
    lines = ma.fields.Integer(required=True)
    contact = ma.fields.Dict(allow_none=True)  # only when the shopper gave it


PUBLISHES: tuple[str, ...] = ("basket.abandoned",)
CONSUMES: tuple[str, ...] = ("tenant.created", "tenant.updated")

handlers = EventHandlers("basket")


@handlers.on("tenant.created")
@handlers.on("tenant.updated")
def take_tenant_settings(envelope: Any, session: Any) -> None:
    from services.basket.brand import take_tenant_settings as take

    take(envelope.payload)


def emit(session: Any, event_type: str, payload: dict[str, Any]) -> None:
    """Publish through the transactional outbox of ``shared.events``."""
    publish(session, event_type, payload, version=1)
