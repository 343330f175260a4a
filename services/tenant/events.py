"""Events the tenant service publishes and the handlers of those it consumes.

Published (payload of the first four: see ``provisioning.brand_payload``):
``tenant.created``, ``tenant.updated``, ``tenant.suspended``,
``tenant.resumed``, and ``tenant.pack_imported`` (see BRAND_PACK.md).
Consumed: ``<service>.tenant_ready`` from the five other services.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from services.tenant import provisioning

PUBLISHES: tuple[str, ...] = (
    "tenant.created",
    "tenant.updated",
    "tenant.suspended",
    "tenant.resumed",
    "tenant.pack_imported",
)
CONSUMES: tuple[str, ...] = tuple(
    f"{service}.tenant_ready" for service in provisioning.OTHER_SERVICES
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


try:  # the event bus is merged separately; until then nothing subscribes
    from shared.events import EventHandlers
except ImportError:  # pragma: no cover - depends on the merge order
    handlers = None
else:
    handlers = EventHandlers("tenant")
    handlers.on("*.tenant_ready")(on_tenant_ready)
