"""Events the catalog service publishes and the handlers of those it consumes.

Handlers are thin: they call the inventory functions inside the bus's
transaction (which also holds the inbox row and the outbox rows written by
``publish``), so a redelivered order event is applied once and the answer
goes out if and only if the stock change commits.

Payloads follow the order saga's contract (``services/order/SAGA.md``):
``order.placed`` carries ``{order_id, lines: [{line_id, sku, quantity}]}``
(lines without a SKU hold no stock); a refusal names the first ``sku`` that
could not be held and its ``reason`` at the top level (plus every ``lines``);
``order.cancelled`` is always answered with ``catalog.stock_released``
``{order_id, lines}``, also when nothing was held; ``order.confirmed``
commits the reservations (they stop expiring); ``order.line_cancelled``
releases one line.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import current_app

from services.catalog import inventory, service
from shared.events import Envelope, EventHandlers, event_type, publish
from shared.http.app import runtime

log = structlog.get_logger(__name__)

_LINES = "list of {line_id, sku, quantity}"

STOCK_RESERVED = event_type(
    "catalog.stock_reserved",
    1,
    {"order_id": "string", "lines": _LINES + ", expires_at"},
    "Every stocked line of an order is held until expires_at.",
)
STOCK_RESERVATION_FAILED = event_type(
    "catalog.stock_reservation_failed",
    1,
    {
        "order_id": "string",
        "sku": "string (the first line refused)",
        "reason": "string",
        "lines": _LINES + ", reason",
    },
    "At least one line could not be held; nothing of the order is held.",
)
STOCK_RELEASED = event_type(
    "catalog.stock_released",
    1,
    {
        "order_id": "string",
        "lines": _LINES + " (may be empty)",
        "released_lines": "integer",
        "reason": "cancelled | expired",
    },
    "Held stock of an order went back on sale (cancelled or expired).",
)

STOCK_CHANGED = event_type(
    "catalog.stock_changed",
    1,
    {"sku": "string", "delta": "integer", "on_hand": "integer", "reason": "string"},
    "An operator restocked or wrote off units of a SKU.",
)

PUBLISHES = (STOCK_RESERVED, STOCK_RESERVATION_FAILED, STOCK_RELEASED, STOCK_CHANGED)
CONSUMES: tuple[str, ...] = (
    "order.placed",
    "order.confirmed",
    "order.cancelled",
    "order.line_cancelled",
    "tenant.pack_imported",
)

handlers = EventHandlers("catalog")


def _stocked_lines(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in payload.get("lines") or [] if line.get("sku")]


def _follow_up(envelope: Envelope) -> dict[str, Any]:
    return {"correlation_id": envelope.correlation_id, "causation_id": envelope.id}


@handlers.on("order.placed")
def reserve_order_stock(envelope: Envelope, session) -> None:
    """Hold every stocked line, or none of them and say which failed."""
    order_id = str(envelope.payload["order_id"])
    held, failed = [], []

    for line in _stocked_lines(envelope.payload):
        outcome = inventory.reserve_line(
            session,
            order_id=order_id,
            line_id=str(line["line_id"]),
            sku=line["sku"],
            quantity=int(line.get("quantity", 1)),
        )
        entry = {
            "line_id": outcome.line_id,
            "sku": outcome.sku,
            "quantity": outcome.quantity,
        }
        if outcome.reserved:
            held.append({**entry, "expires_at": outcome.expires_at.isoformat()})
        else:
            failed.append({**entry, "reason": outcome.reason})

    if failed:
        inventory.release_order(session, order_id)
        publish(
            session,
            "catalog.stock_reservation_failed",
            {
                "order_id": order_id,
                "sku": failed[0]["sku"],
                "reason": failed[0]["reason"],
                "lines": failed,
            },
            **_follow_up(envelope),
        )
        log.info("order_stock_refused", order_id=order_id, failed=len(failed))
        return

    publish(
        session,
        "catalog.stock_reserved",
        {"order_id": order_id, "lines": held},
        **_follow_up(envelope),
    )


@handlers.on("order.cancelled")
def release_order_stock(envelope: Envelope, session) -> None:
    """Put the order's held stock back and always answer (SAGA.md)."""
    order_id = str(envelope.payload["order_id"])
    released = inventory.release_order_lines(session, order_id)
    announce_release(session, order_id, released, "cancelled", envelope)


@handlers.on("order.confirmed")
def commit_order_stock(envelope: Envelope, session) -> None:
    """Stock reserved and paid for: the reservations must no longer expire."""
    inventory.commit_order(session, str(envelope.payload["order_id"]))


@handlers.on("order.line_cancelled")
def release_line_stock(envelope: Envelope, session) -> None:
    """One line failed before its device left: its stock goes back on sale.

    No answer is expected (SAGA.md).
    """
    inventory.release_line(
        session,
        order_id=str(envelope.payload["order_id"]),
        line_id=str(envelope.payload["line_id"]),
    )


def announce_release(
    session,
    order_id: str,
    released: int | list[dict[str, Any]],
    reason: str,
    cause: Envelope | None = None,
) -> None:
    """``catalog.stock_released`` in the caller's transaction."""
    lines = released if isinstance(released, list) else []
    count = len(released) if isinstance(released, list) else released
    publish(
        session,
        "catalog.stock_released",
        {
            "order_id": order_id,
            "lines": lines,
            "released_lines": count,
            "reason": reason,
        },
        **(_follow_up(cause) if cause else {}),
    )


def announce_stock_change(
    session, sku: str, delta: int, on_hand: int, reason: str
) -> None:
    publish(
        session,
        "catalog.stock_changed",
        {"sku": sku, "delta": delta, "on_hand": on_hand, "reason": reason},
    )


@handlers.on("tenant.pack_imported")
def import_brand_catalog(envelope: Envelope, session) -> None:
    """The catalog's part of an onboarded pack, replacing the brand's catalog.

    The tenant service sends one hand-off per owner; the others' are skipped.
    ``import_catalog`` commits by itself, with the inbox row the bus added.
    """
    payload = envelope.payload
    if payload.get("service") != "catalog":
        return

    brand, sections = payload.get("tenant") or {}, payload["sections"]
    summary = service.import_catalog(
        runtime(current_app).extras.get("catalog_cache"),
        settings={"currency": brand["currency"], "tax": brand["tax"]},
        products=sections.get("products") or [],
        rules=sections.get("rules"),
        cross_sell=sections.get("cross_sell"),
        campaigns=sections.get("campaigns"),
    )
    log.info(
        "brand_catalog_imported",
        slug=payload.get("slug"),
        digest=payload.get("digest"),
        created=summary.products_created,
        updated=summary.products_updated,
    )
