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

from collections.abc import Callable
from typing import Any

import structlog

from services.order import saga, saga_fulfilment

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

Publisher = Callable[..., Any]
_publisher: Publisher | None = None


class EventBusUnavailable(RuntimeError):
    """No publisher is installed and ``shared.events`` cannot be imported."""


def use_publisher(publisher: Publisher | None) -> Publisher | None:
    """Install the function ``emit`` hands events to; return the previous one.

    Production leaves it unset (the bus's outbox ``publish``); the order
    tests install a recording double.
    """
    global _publisher
    previous, _publisher = _publisher, publisher
    return previous


def emit(session: Any, event_type: str, payload: dict[str, Any], version: int = 1):
    """Publish one order event in ``session``'s transaction (outbox)."""
    if event_type not in PUBLISHES:
        raise ValueError(f"the order service does not publish {event_type}")
    publisher = _publisher or _bus_publish()
    envelope = publisher(session, event_type, payload, version=version)
    log.info("order_event_emitted", type=event_type, order_id=payload.get("order_id"))
    return envelope


def _bus_publish() -> Publisher:
    try:
        from shared.events import publish
    except ImportError as exc:  # the bus lands on main separately
        raise EventBusUnavailable("shared.events is not installed") from exc
    return publish


# Handlers: thin, one per consumed event, all calling the saga.


def on_stock_reserved(envelope: Any, session: Any) -> None:
    saga.stock_reserved(session, envelope)


def on_stock_reservation_failed(envelope: Any, session: Any) -> None:
    saga.stock_refused(session, envelope)


def on_stock_released(envelope: Any, session: Any) -> None:
    saga.stock_released(session, envelope)


def on_payment_authorised(envelope: Any, session: Any) -> None:
    saga.payment_authorised(session, envelope)


def on_payment_declined(envelope: Any, session: Any) -> None:
    saga.payment_declined(session, envelope)


def on_payment_captured(envelope: Any, session: Any) -> None:
    saga.payment_captured(session, envelope)


def on_payment_voided(envelope: Any, session: Any) -> None:
    saga.payment_voided(session, envelope)


def on_payment_refunded(envelope: Any, session: Any) -> None:
    saga.payment_refunded(session, envelope)


def on_payment_command_failed(envelope: Any, session: Any) -> None:
    saga.payment_command_failed(session, envelope)


def on_order_confirmed(envelope: Any, session: Any) -> None:
    """Our own event: hand the confirmed order's lines to fulfilment."""
    saga_fulfilment.submit_lines(session, envelope.payload["order_id"])


HANDLERS: dict[str, Callable[[Any, Any], None]] = {
    "catalog.stock_reserved": on_stock_reserved,
    "catalog.stock_reservation_failed": on_stock_reservation_failed,
    "catalog.stock_released": on_stock_released,
    "payment.authorised": on_payment_authorised,
    "payment.declined": on_payment_declined,
    "payment.captured": on_payment_captured,
    "payment.capture_failed": on_payment_command_failed,
    "payment.voided": on_payment_voided,
    "payment.void_failed": on_payment_command_failed,
    "payment.refunded": on_payment_refunded,
    "payment.refund_failed": on_payment_command_failed,
    "order.confirmed": on_order_confirmed,
}

try:
    from shared.events import EventHandlers
except ImportError:  # before the bus merges, tests drive HANDLERS directly
    handlers = None
else:
    handlers = EventHandlers("order")
    for _type, _handler in HANDLERS.items():
        handlers.on(_type)(_handler)
