"""Events the order service publishes and the handlers of those it consumes.

The contract (every event, its payload and version) is written out in
``services/order/SAGA.md``. Two rules keep the saga independent of transport:

- every event leaves through ``emit(session, type, payload)``: it hands the
  event to the transactional outbox (``shared.events.publish``), so it goes
  out only if the state change it belongs to commits;
- every consumed event enters through a thin ``on_*`` handler taking
  ``(envelope, session)``: anything with ``id``, ``type`` and ``payload``.
  The handler calls the saga and never commits: the bus (or a test double)
  owns the transaction, as it owns the inbox row.
"""

from __future__ import annotations

from typing import Any

import structlog

from services.order import saga, saga_fulfilment
from shared.events import EventHandlers, publish

log = structlog.get_logger(__name__)

PUBLISHES: tuple[str, ...] = (
    "order.placed",
    "order.payment_requested",
    "order.confirmed",
    "order.capture_requested",
    "order.void_requested",
    "order.refund_requested",
    "order.cancelled",
    "order.line_cancelled",
    "order.shipped",
    "order.line_activated",
    "order.completed",
    "order.partially_completed",
    "order.parked",
    "order.return_requested",
    "order.return_received",
)
CONSUMES: tuple[str, ...] = (
    "catalog.stock_reserved",
    "catalog.stock_reservation_failed",
    "catalog.stock_released",
    "payment.authorised",
    "payment.declined",
    "payment.captured",
    "payment.capture_failed",
    "payment.voided",
    "payment.void_failed",
    "payment.refunded",
    "payment.refund_failed",
    "order.confirmed",
)


def emit(session: Any, event_type: str, payload: dict[str, Any], version: int = 1):
    """Publish one order event in ``session``'s transaction (outbox)."""
    if event_type not in PUBLISHES:
        raise ValueError(f"the order service does not publish {event_type}")
    envelope = publish(session, event_type, payload, version=version)
    log.info("order_event_emitted", type=event_type, order_id=payload.get("order_id"))
    return envelope


# Handlers: thin, one per consumed event, all calling the saga.

handlers = EventHandlers("order")


@handlers.on("catalog.stock_reserved")
def on_stock_reserved(envelope: Any, session: Any) -> None:
    saga.stock_reserved(session, envelope)


@handlers.on("catalog.stock_reservation_failed")
def on_stock_reservation_failed(envelope: Any, session: Any) -> None:
    saga.stock_refused(session, envelope)


@handlers.on("catalog.stock_released")
def on_stock_released(envelope: Any, session: Any) -> None:
    saga.stock_released(session, envelope)


@handlers.on("payment.authorised")
def on_payment_authorised(envelope: Any, session: Any) -> None:
    saga.payment_authorised(session, envelope)


@handlers.on("payment.declined")
def on_payment_declined(envelope: Any, session: Any) -> None:
    saga.payment_declined(session, envelope)


@handlers.on("payment.captured")
def on_payment_captured(envelope: Any, session: Any) -> None:
    saga.payment_captured(session, envelope)


@handlers.on("payment.voided")
def on_payment_voided(envelope: Any, session: Any) -> None:
    saga.payment_voided(session, envelope)


@handlers.on("payment.refunded")
def on_payment_refunded(envelope: Any, session: Any) -> None:
    saga.payment_refunded(session, envelope)


@handlers.on("payment.capture_failed")
@handlers.on("payment.void_failed")
@handlers.on("payment.refund_failed")
def on_payment_command_failed(envelope: Any, session: Any) -> None:
    saga.payment_command_failed(session, envelope)


@handlers.on("order.confirmed")
def on_order_confirmed(envelope: Any, session: Any) -> None:
    """Our own event: hand the confirmed order's lines to fulfilment."""
    saga_fulfilment.submit_lines(session, envelope.payload["order_id"])
