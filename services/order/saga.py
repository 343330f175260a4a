"""The order saga: reserve stock -> authorise payment -> confirm -> fulfil.

The whole state lives in ``order_sagas`` (one row per order), so a fresh
process carries on from the database alone: events keep arriving and
``tick`` times out overdue steps and re-sends unacknowledged commands.

Rules every handler here keeps:

- the saga row is locked first, then the delivery is checked against the
  timeline by event id: two events for one order run one after the other,
  and a repeated delivery is a no-op (``saga_state.open_event``);
- an event is applied only in the state that expects it; the same fact
  again is a duplicate, and a success that arrives after the saga gave up
  (a late stock reservation, a late authorisation) is compensated, never
  applied;
- every failure goes through ``saga_compensation.fail``.

Nothing here commits: the caller (bus handler, view, tick) owns the
transaction. The fulfilment step is in ``saga_fulfilment``.

Saga ``status``: running | compensating | completed | cancelled | parked.
``stock``: requested | reserved | refused | timed_out | not_needed |
release_requested | released. ``payment``: none | requested | authorised |
declined | timed_out | capture_requested | captured | void_requested | voided.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.order import events
from services.order.models import Order, OrderSaga, OrderSettings
from services.order.saga_compensation import (
    acknowledge,
    cancel_parked,
    fail,
    request_refund,
    require_release,
    require_void,
    retry_parked,
    send,
    tick,
)
from services.order.saga_state import (
    TAKEN_PAYMENT,
    authorisation_key,
    fulfilment_deadline,
    lock_saga,
    note,
    open_event,
    settings_for,
    stock_lines_of,
)
from services.order.timeline import notify, now_utc

__all__ = [
    "TAKEN_PAYMENT",
    "cancel_parked",
    "fail",
    "lock_saga",
    "request_capture",
    "request_refund",
    "retry_parked",
    "settings_for",
    "start",
    "tick",
]


def start(session: Session, order: Order, now: datetime) -> OrderSaga:
    """Create the saga for a new order and publish ``order.placed``."""
    settings = settings_for(session)
    saga = OrderSaga(
        order_id=order.id,
        status="running",
        step="reserve_stock",
        stock="requested",
        payment="none",
        payment_attempt=0,
        captured_amount=0,
        refunded_amount=0,
        outstanding={},
        outstanding_attempts=0,
        updated_at=now,
    )
    session.add(saga)

    stock_lines = stock_lines_of(order)
    placed = {
        "order_id": order.id,
        "order_number": order.number,
        "channel": order.channel,
        "currency": order.currency,
        "customer_email": order.customer_email,
        "due_today": order.due_today,
        "monthly": order.monthly,
        "lines": stock_lines,
    }
    events.emit(session, "order.placed", placed)
    note(session, saga, "order_placed")
    notify(session, order, "order.placed", f"We have your order {order.number}")

    if stock_lines:
        saga.deadline_at = now + timedelta(seconds=settings.reserve_timeout_s)
    else:
        saga.stock = "not_needed"
        note(session, saga, "no_stock_to_reserve")
        _request_payment(session, saga, order, settings, now)
    return saga


# Stock


def stock_reserved(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if _awaits_stock(saga):
        saga.stock = "reserved"
        for line in order.lines:
            if line.needs_stock:
                line.status = "reserved"
        note(session, saga, "stock_reserved", event_id=envelope.id)
        _request_payment(session, saga, order, settings_for(session), now_utc())
    elif saga.stock == "reserved":
        note(session, saga, "stock_reserved", "duplicate", event_id=envelope.id)
    else:
        # The saga gave up on stock (deadline, failure, cancellation) before
        # this reservation arrived: put the stock back, do not apply it.
        note(session, saga, "late_stock_reserved", "compensated", event_id=envelope.id)
        require_release(session, saga, order, now_utc())


def stock_refused(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if not _awaits_stock(saga):
        note(session, saga, "stock_reservation_failed", "ignored", event_id=envelope.id)
        return
    sku = envelope.payload.get("sku")
    item = next((ln.bundle or ln.sku for ln in order.lines if ln.sku == sku), sku)
    saga.stock = "refused"
    note(
        session,
        saga,
        "stock_reservation_failed",
        "failed",
        event_id=envelope.id,
        sku=sku,
        reason=envelope.payload.get("reason"),
    )
    fail(session, saga, order, "out_of_stock", now_utc(), item=item)


def stock_released(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if "release_stock" not in saga.outstanding:
        note(session, saga, "stock_released", "ignored", event_id=envelope.id)
        return
    saga.stock = "released"
    acknowledge(session, saga, order, "release_stock", envelope.id, now_utc())


def _awaits_stock(saga: OrderSaga) -> bool:
    return (
        saga.status == "running"
        and saga.step == "reserve_stock"
        and saga.stock == "requested"
    )


# Payment


def _request_payment(
    session: Session,
    saga: OrderSaga,
    order: Order,
    settings: OrderSettings,
    now: datetime,
) -> None:
    saga.step = "authorise_payment"
    saga.payment = "requested"
    saga.payment_attempt += 1
    saga.deadline_at = now + timedelta(seconds=settings.payment_timeout_s)
    mandate = None
    if order.monthly:
        mandate = {"monthly_amount": order.monthly, "currency": order.currency}

    events.emit(
        session,
        "order.payment_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "attempt": saga.payment_attempt,
            "amount": order.due_today,
            "currency": order.currency,
            "payment_method": {
                "provider": order.payment_method["provider"],
                "token": order.payment_method["token"],
            },
            "idempotency_key": authorisation_key(order.id, saga.payment_attempt),
            "customer": {"id": order.customer_id, "email": order.customer_email},
            "mandate": mandate,
        },
    )
    note(
        session,
        saga,
        "payment_requested",
        attempt=saga.payment_attempt,
        amount=order.due_today,
    )


def _awaits_payment(saga: OrderSaga, attempt: Any) -> bool:
    return (
        saga.status == "running"
        and saga.step == "authorise_payment"
        and saga.payment == "requested"
        and attempt == saga.payment_attempt
    )


def payment_authorised(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened
    payload = envelope.payload
    authorisation_id = _authorisation_id(payload)

    if _awaits_payment(saga, payload.get("attempt")):
        saga.payment = "authorised"
        saga.authorisation_id = authorisation_id
        saga.mandate_id = payload.get("mandate_id")
        note(
            session,
            saga,
            "payment_authorised",
            event_id=envelope.id,
            authorisation_id=authorisation_id,
        )
        _confirm(session, saga, order, now_utc())
    elif authorisation_id and authorisation_id == saga.authorisation_id:
        note(session, saga, "payment_authorised", "duplicate", event_id=envelope.id)
    else:
        # Authorised after the saga stopped waiting: void it, never apply it.
        note(
            session,
            saga,
            "late_payment_authorised",
            "compensated",
            event_id=envelope.id,
            authorisation_id=authorisation_id,
        )
        require_void(
            session, saga, order, now_utc(), authorisation_id, payload.get("attempt")
        )


def _authorisation_id(payload: dict) -> str | None:
    """``authorisation_id`` per SAGA.md; ``payment_id`` in payment's first draft."""
    return payload.get("authorisation_id") or payload.get("payment_id")


def payment_declined(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if not _awaits_payment(saga, envelope.payload.get("attempt")):
        note(session, saga, "payment_declined", "ignored", event_id=envelope.id)
        return
    saga.payment = "declined"
    note(
        session,
        saga,
        "payment_declined",
        "failed",
        event_id=envelope.id,
        reason=envelope.payload.get("reason"),
    )
    fail(session, saga, order, "payment_declined", now_utc())


def payment_captured(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if "capture_payment" not in saga.outstanding:
        note(session, saga, "payment_captured", "duplicate", event_id=envelope.id)
        return
    saga.payment = "captured"
    captured = envelope.payload.get("captured", envelope.payload.get("amount"))
    saga.captured_amount = int(captured or order.due_today)
    acknowledge(session, saga, order, "capture_payment", envelope.id, now_utc())


def payment_voided(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    if "void_authorisation" not in saga.outstanding:
        note(session, saga, "payment_voided", "duplicate", event_id=envelope.id)
        return
    saga.payment = "voided"
    outcome = envelope.payload.get("outcome", "voided")
    acknowledge(
        session,
        saga,
        order,
        "void_authorisation",
        envelope.id,
        now_utc(),
        outcome=outcome,
    )


def payment_refunded(session: Session, envelope: Any) -> None:
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, order = opened

    name = _refund_acknowledged(saga, envelope.payload)
    if name is None:
        note(session, saga, "payment_refunded", "duplicate", event_id=envelope.id)
        return
    refunded = envelope.payload.get("refunded", envelope.payload.get("amount"))
    saga.refunded_amount += int(refunded or 0)
    _mark_return_refunded(session, order, saga.outstanding[name]["payload"])
    acknowledge(session, saga, order, name, envelope.id, now_utc())


def _refund_acknowledged(saga: OrderSaga, payload: dict) -> str | None:
    """The outstanding refund this answer is for: by its idempotency key, or
    the only refund waiting when the answer carries no key."""
    key = payload.get("idempotency_key")
    if key is not None:
        name = f"refund:{key}"
        return name if name in saga.outstanding else None
    waiting = [name for name in saga.outstanding if name.startswith("refund:")]
    return waiting[0] if len(waiting) == 1 else None


def _mark_return_refunded(session: Session, order: Order, refund: dict) -> None:
    from services.order.returns import mark_refunded  # returns builds on this module

    mark_refunded(session, order, refund, now_utc())


def payment_command_failed(session: Session, envelope: Any) -> None:
    """A capture, void or refund failed at the provider: the tick re-sends it."""
    opened = open_event(session, envelope)
    if opened is None:
        return
    saga, _order = opened
    action = envelope.type.split(".", 1)[1]
    reason = envelope.payload.get("reason")
    note(session, saga, action, "failed", event_id=envelope.id, reason=reason)


# Confirmation and capture


def _confirm(session: Session, saga: OrderSaga, order: Order, now: datetime) -> None:
    order.status = "confirmed"
    order.confirmed_at = now
    saga.step = "fulfil"
    saga.deadline_at = fulfilment_deadline(order, settings_for(session), now)

    events.emit(
        session,
        "order.confirmed",
        {
            "order_id": order.id,
            "order_number": order.number,
            "customer_email": order.customer_email,
            "currency": order.currency,
            "due_today": order.due_today,
            "monthly": order.monthly,
            "lines": stock_lines_of(order),
        },
    )
    notify(session, order, "order.confirmed", f"Order {order.number} is confirmed")
    note(session, saga, "order_confirmed")


def request_capture(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    """The first item shipped: take the money authorised for today."""
    if saga.payment != "authorised":
        return
    if order.due_today == 0:
        # Nothing was due today: the zero authorisation only proved the card
        # for the monthly mandate, so there is nothing to capture.
        saga.payment = "captured"
        note(session, saga, "nothing_to_capture")
        return
    saga.payment = "capture_requested"
    payload = {
        "order_id": order.id,
        "order_number": order.number,
        "attempt": saga.payment_attempt,
        "authorisation_id": saga.authorisation_id,
        "amount": order.due_today,
        "currency": order.currency,
        "idempotency_key": f"{order.id}:capture",
    }
    send(session, saga, now, "capture_payment", "order.capture_requested", payload)
    note(session, saga, "capture_requested", amount=order.due_today)
