"""The event catalog: every event type, its version and payload, from the code.

Each service declares what it publishes in ``services/<svc>/events.py``::

    PUBLISHES = (
        event_type("order.placed", 1, OrderPlacedSchema, "A customer placed ..."),
    )

``telecart events catalog`` renders all of them as markdown, so the document
cannot drift from the code.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from shared import SERVICES


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    schema: Any = None
    doc: str = ""
    publisher: str | None = field(default=None, compare=False)

    def fields(self) -> list[tuple[str, str, bool]]:
        """(name, type or description, required) for each payload field."""
        schema = self.schema
        if schema is None:
            return []
        if isinstance(schema, Mapping):
            return [(name, str(kind), True) for name, kind in schema.items()]
        instance = schema() if isinstance(schema, type) else schema
        return [
            (name, type(f).__name__, bool(f.required))
            for name, f in instance.fields.items()
        ]

    def validate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Field errors of a payload against a marshmallow schema (else none)."""
        schema = self.schema
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        if isinstance(schema, Schema):
            return schema.validate(dict(payload))
        return {}


_registry: dict[tuple[str, int], EventType] = {}


def event_type(
    name: str, version: int = 1, schema: Any = None, doc: str = ""
) -> EventType:
    """Declare (and register) one version of an event type."""
    declared = EventType(name, version, schema, doc)
    _registry[(name, version)] = declared
    return declared


def registered(name: str, version: int) -> EventType | None:
    return _registry.get((name, version))


def tenant_ready_type(service: str) -> EventType:
    return event_type(
        f"{service}.tenant_ready",
        1,
        {"tenant_id": "string, the tenant's id", "service": "string, e.g. catalog"},
        f"The {service} service created and migrated a new tenant's schema.",
    )


def collect(services: Iterable[str] = SERVICES) -> list[EventType]:
    """Every event type each service declares in its ``events.PUBLISHES``."""
    found: list[EventType] = []
    for service in services:
        module = importlib.import_module(f"services.{service}.events")
        declared = list(getattr(module, "PUBLISHES", ()))
        declared.append(tenant_ready_type(service))
        for item in declared:
            if isinstance(item, str):
                item = _registry.get((item, 1)) or EventType(item, 1)
            found.append(
                EventType(item.name, item.version, item.schema, item.doc, service)
            )
    return sorted(found, key=lambda e: (e.name, e.version))


def render_markdown(
    types: Iterable[EventType], consumers: Mapping[str, list[str]] | None = None
) -> str:
    """The catalog as markdown; ``consumers`` maps an event name to services."""
    consumers = consumers or {}
    lines = [
        "# Telecart event catalog",
        "",
        "Generated from the code by `telecart events catalog`. Every event",
        "travels in the envelope (id, type, version, occurred_at, tenant_id,",
        "correlation_id, causation_id, payload). Consumers ignore fields they",
        "do not know; a breaking change is a new version.",
        "",
    ]
    for declared in types:
        lines.append(f"## `{declared.name}` v{declared.version}")
        lines.append("")
        if declared.doc:
            lines += [declared.doc, ""]
        lines.append(f"- publisher: {declared.publisher or 'unknown'}")
        who = ", ".join(consumers.get(declared.name, [])) or "none yet"
        lines.append(f"- consumers: {who}")
        lines.append("")
        fields = declared.fields()
        if fields:
            lines += ["| field | type | required |", "|---|---|---|"]
            lines += [
                f"| `{name}` | {kind} | {'yes' if req else 'no'} |"
                for name, kind, req in fields
            ]
            lines.append("")
    return "\n".join(lines)
