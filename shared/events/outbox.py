"""Publishing: an outbox row written in the caller's own transaction.

``publish`` only adds a row to the session. If the transaction commits, the
relay sends the event later; if it rolls back, the event never existed. A
broker outage delays events and never loses them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import structlog

from shared.events.catalog import registered
from shared.events.envelope import Envelope
from shared.events.handlers import event_being_handled
from shared.events.tables import outbox
from shared.tenancy.context import TenantRequired, current_tenant

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class InvalidPayload(ValueError):
    """A payload does not match the schema declared for its event type."""

    def __init__(self, event_type: str, errors: dict[str, Any]) -> None:
        super().__init__(f"{event_type} payload: {errors}")
        self.errors = errors


def publish(
    session: Any,
    event_type: str,
    payload: dict[str, Any],
    *,
    version: int = 1,
    tenant_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Envelope:
    """Add the event to ``session``'s transaction; it goes out after commit.

    The tenant defaults to the one in context and is required. Inside an
    event handler the correlation id and the cause default to the event being
    handled; in a web request the correlation id defaults to the request's.
    """
    if not EVENT_TYPE.match(event_type):
        raise ValueError(f"not an event type: {event_type!r} (e.g. order.placed)")
    tenant = current_tenant()
    tenant_id = tenant_id or (tenant.id if tenant else None)
    if not tenant_id:
        raise TenantRequired(f"{event_type} has no tenant: every event needs one")

    declared = registered(event_type, version)
    errors = declared.validate(payload) if declared else {}
    if errors:
        raise InvalidPayload(event_type, errors)

    cause = event_being_handled()
    if cause is not None:
        correlation_id = correlation_id or cause.correlation_id
        causation_id = causation_id or cause.id
    correlation_id = correlation_id or structlog.contextvars.get_contextvars().get(
        "correlation_id"
    )

    envelope = Envelope.new(
        event_type,
        payload,
        tenant_id=tenant_id,
        version=version,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    session.execute(
        outbox.insert().values(
            event_id=envelope.id,
            event_type=envelope.type,
            tenant_id=envelope.tenant_id,
            envelope=envelope.to_json(),
            created_at=datetime.now(UTC),
            attempts=0,
        )
    )
    return envelope
