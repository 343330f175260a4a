"""Events the payment service publishes and the handlers of those it consumes.

Every publication goes through ``emit``. It uses ``shared.events.publish`` (the
transactional outbox) when that module is present; until the event bus is
merged into this branch it writes the same envelope fields to the service's
own ``outgoing_events`` table, in the same transaction as the state change.
"""

from __future__ import annotations

from typing import Any

PUBLISHES: tuple[str, ...] = (
    "payment.authorised",
    "payment.declined",
    "payment.captured",
    "payment.voided",
    "payment.refunded",
    "payment.dispute_opened",
    "payment.dispute_closed",
    "payment.subscription_charged",
    "payment.subscription_charge_failed",
    "payment.subscription_suspended",
)
CONSUMES: tuple[str, ...] = ()


def emit(session, event_type: str, payload: dict[str, Any], version: int = 1) -> None:
    try:
        from shared.events import publish
    except ImportError:
        publish = None

    if publish is not None:
        publish(session, event_type, payload, version=version)
        return

    from services.payment.models import OutgoingEvent

    session.add(OutgoingEvent(type=event_type, version=version, payload=payload))
