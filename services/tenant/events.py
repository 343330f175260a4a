"""Events the tenant service publishes and the handlers of those it consumes.

Published (payload of the first four: see ``provisioning.brand_payload``):
``tenant.created``, ``tenant.updated``, ``tenant.suspended``,
``tenant.resumed``, and ``tenant.pack_imported`` (see BRAND_PACK.md).
Consumed: ``<service>.tenant_ready`` from the five other services, and
``order.placed`` (counted as usage for billing). Active baskets will be
counted the same way once the basket service names its events.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from services.tenant import provisioning
from shared.events import EventHandlers

PUBLISHES: tuple[str, ...] = (
    "tenant.created",
    "tenant.updated",
    "tenant.suspended",
    "tenant.resumed",
    "tenant.pack_imported",
)
CONSUMES: tuple[str, ...] = (
    *(f"{service}.tenant_ready" for service in provisioning.OTHER_SERVICES),
    "order.placed",
)


def on_tenant_ready(envelope: Any, session: Any) -> None:
    """A service made the brand's schema: record it, maybe activate the brand."""
    from services.tenant.wiring import wiring

    w = wiring(current_app)
    payload = envelope.payload
    provisioning.record_ready(
        session,
        w.publish,
        w.registry,
        payload.get("tenant_id") or envelope.tenant_id,
        payload.get("service") or envelope.type.split(".", 1)[0],
    )


def on_order_placed(envelope: Any, session: Any) -> None:
    """One more order today for the brand's bill (the inbox makes it once)."""
    from services.tenant.usage import count_usage

    count_usage(session.connection(), envelope.tenant_id, "orders")


handlers = EventHandlers("tenant")
handlers.on("*.tenant_ready")(on_tenant_ready)
handlers.on("order.placed")(on_order_placed)
