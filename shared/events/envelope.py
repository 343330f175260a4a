"""The envelope every event travels in, and its JSON form on the wire."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE

_REQUIRED = ("id", "type", "version", "occurred_at", "tenant_id", "payload")


class MalformedEvent(ValueError):
    """The bytes on the wire are not an envelope; retrying cannot fix them."""


class EventWithoutTenant(MalformedEvent):
    """Every event belongs to a tenant; one without is never applied."""


@dataclass(frozen=True)
class Envelope:
    """One event: what happened, for which tenant, caused by what.

    ``correlation_id`` follows a whole business flow (a checkout, a
    provisioning saga); ``causation_id`` names the event or request that
    directly caused this one.
    """

    id: str
    type: str
    version: int
    occurred_at: str
    tenant_id: str
    correlation_id: str
    causation_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        event_type: str,
        payload: dict[str, Any],
        *,
        tenant_id: str,
        version: int = 1,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        event_id = str(uuid.uuid4())
        return cls(
            id=event_id,
            type=event_type,
            version=version,
            occurred_at=datetime.now(UTC).isoformat(),
            tenant_id=tenant_id,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            payload=dict(payload),
        )

    def load_payload(self, schema: Any) -> dict[str, Any]:
        """The payload through a marshmallow schema, dropping unknown fields.

        A newer publisher may add fields; this consumer ignores them instead
        of failing, so each service can be deployed on its own.
        """
        instance = schema() if isinstance(schema, type) else schema
        return instance.load(self.payload, unknown=EXCLUDE)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, body: bytes | str) -> Envelope:
        """Parse an envelope; fields this version does not know are ignored."""
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedEvent(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise MalformedEvent("the envelope is not a JSON object")
        if not data.get("tenant_id"):
            raise EventWithoutTenant("the event names no tenant")

        missing = [name for name in _REQUIRED if name not in data]
        if missing:
            raise MalformedEvent(f"the envelope lacks {', '.join(missing)}")
        if not isinstance(data["payload"], dict):
            raise MalformedEvent("the payload is not a JSON object")
        if not isinstance(data["type"], str) or not isinstance(data["version"], int):
            raise MalformedEvent("type must be a string and version an integer")

        return cls(
            id=str(data["id"]),
            type=data["type"],
            version=data["version"],
            occurred_at=str(data["occurred_at"]),
            tenant_id=str(data["tenant_id"]),
            correlation_id=str(data.get("correlation_id") or data["id"]),
            causation_id=data.get("causation_id"),
            payload=data["payload"],
        )


@dataclass(frozen=True)
class DeadLetter:
    """An event a consumer gave up on, as an operator sees it."""

    id: str
    service: str
    event_type: str
    tenant_id: str | None
    attempts: int
    error: str
    dead_lettered_at: str
