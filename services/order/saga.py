"""The order saga: reserve stock -> authorise payment -> confirm -> fulfil.

The whole state lives in ``order_sagas`` (one row per order), so a fresh
process carries on from the database alone: events keep arriving and
``tick`` times out overdue steps and re-sends unacknowledged commands.

Rules every function here keeps:

- the saga row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL, a
  version column everywhere), then the delivery is checked against the
  timeline by event id: two events for one order run one after the other,
  and a repeated delivery is a no-op;
- an event is applied only in the state that expects it; the same fact
  again is a duplicate, and a success that arrives after the saga gave up
  (a late stock reservation, a late authorisation) is compensated;
- every failure runs the compensations of the steps already done (release
  stock through ``order.cancelled``, void the authorisation) and waits for
  their acknowledgements; a command that stays unacknowledged is re-sent
  with backoff and then the order is parked for an operator.

Nothing here commits: the caller (bus handler, view, tick) owns the
transaction.

Saga ``status``: running | compensating | completed | cancelled | parked.
``stock``: requested | reserved | refused | timed_out | not_needed |
release_requested | released. ``payment``: none | requested | authorised |
declined | timed_out | capture_requested | captured | void_requested | voided.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.order import events
from services.order.models import (
    Order,
    OrderLine,
    OrderSaga,
    OrderSettings,
    ParkedOrder,
)
from services.order.timeline import (
    already_handled,
    aware,
    customer_reason,
    notify,
    now_utc,
    record,
)
from shared.tenancy.context import require_tenant

log = structlog.get_logger(__name__)

OPEN_PAYMENT = ("requested", "timed_out", "authorised")
TAKEN_PAYMENT = ("capture_requested", "captured")
HELD_STOCK = ("requested", "reserved", "refused", "timed_out")


# Loading and locking


def settings_for(session: Session) -> OrderSettings:
    """The brand's order settings; created with defaults on first use."""
    found = session.scalars(select(OrderSettings)).first()
    if found is not None:
        return found

    slug = require_tenant().slug
    created = OrderSettings(
        number_prefix=slug[:2].upper(),
        next_number=100001,
        reserve_timeout_s=300,
        payment_timeout_s=300,
        fulfilment_timeout_s=14 * 86400,
        compensation_timeout_s=120,
        compensation_max_attempts=5,
    )
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:  # another request created it first
        return session.scalars(select(OrderSettings)).one()
    return created


def lock_saga(session: Session, order_id: str | None) -> OrderSaga | None:
    """The saga row, locked for this transaction, with fresh lines."""
    if not order_id:
        return None
    saga = session.scalars(
        select(OrderSaga)
        .where(OrderSaga.order_id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if saga is None:
        return None

    session.scalars(
        select(Order)
        .where(Order.id == order_id)
        .execution_options(populate_existing=True)
    ).one()
    session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .execution_options(populate_existing=True)
    ).all()
    return saga


def _open(session: Session, envelope: Any) -> tuple[OrderSaga, Order] | None:
    """Lock the event's saga; None for an unknown order or a repeat delivery."""
    order_id = (envelope.payload or {}).get("order_id")
    saga = lock_saga(session, order_id)
    if saga is None:
        log.warning("event_for_unknown_order", type=envelope.type, order_id=order_id)
        return None
    if already_handled(session, order_id, envelope.id):
        log.info("duplicate_delivery_ignored", type=envelope.type, order_id=order_id)
        return None
    return saga, saga.order


def _touch(saga: OrderSaga, order: Order, now: datetime) -> None:
    saga.updated_at = now
    order.updated_at = now


# Start


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
    events.emit(
        session,
        "order.placed",
        {
            "order_id": order.id,
            "order_number": order.number,
            "channel": order.channel,
            "currency": order.currency,
            "customer_email": order.customer_email,
            "due_today": order.due_today,
            "monthly": order.monthly,
            "lines": stock_lines,
        },
    )
    record(session, order.id, "reserve_stock", "order_placed", at=now)
    notify(session, order, "order.placed", f"We have your order {order.number}", at=now)

    if stock_lines:
        saga.deadline_at = now + timedelta(seconds=settings.reserve_timeout_s)
    else:
        saga.stock = "not_needed"
        record(session, order.id, "reserve_stock", "no_stock_to_reserve", at=now)
        _request_payment(session, saga, order, settings, now)
    return saga


def stock_lines_of(order: Order) -> list[dict[str, Any]]:
    return [
        {"line_id": line.id, "sku": line.sku, "quantity": 1}
        for line in order.lines
        if line.needs_stock
    ]


# Stock


def stock_reserved(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if _awaits_stock(saga):
        saga.stock = "reserved"
        for line in order.lines:
            if line.needs_stock:
                line.status = "reserved"
        record(
            session,
            order.id,
            "reserve_stock",
            "stock_reserved",
            event_id=envelope.id,
            at=now,
        )
        _request_payment(session, saga, order, settings_for(session), now)
        return

    if saga.stock == "reserved":
        record(
            session,
            order.id,
            saga.step,
            "stock_reserved",
            "duplicate",
            event_id=envelope.id,
            at=now,
        )
        return

    # The saga gave up on stock (timeout, failure, cancellation) before this
    # reservation arrived: put the stock back, do not apply it.
    record(
        session,
        order.id,
        saga.step,
        "late_stock_reserved",
        "compensated",
        event_id=envelope.id,
        at=now,
    )
    _require_release(session, saga, order, now)


def stock_refused(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if not _awaits_stock(saga):
        record(
            session,
            order.id,
            saga.step,
            "stock_reservation_failed",
            "ignored",
            event_id=envelope.id,
            at=now,
        )
        return

    sku = envelope.payload.get("sku")
    item = next((ln.bundle or ln.sku for ln in order.lines if ln.sku == sku), sku)
    saga.stock = "refused"
    record(
        session,
        order.id,
        "reserve_stock",
        "stock_reservation_failed",
        "failed",
        event_id=envelope.id,
        at=now,
        sku=sku,
        reason=envelope.payload.get("reason"),
    )
    fail(session, saga, order, "out_of_stock", now, item=item)


def stock_released(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if "release_stock" not in saga.outstanding:
        record(
            session,
            order.id,
            saga.step,
            "stock_released",
            "ignored",
            event_id=envelope.id,
            at=now,
        )
        return
    saga.stock = "released"
    _acknowledge(session, saga, order, "release_stock", envelope.id, now)


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
    attempt = saga.payment_attempt
    events.emit(
        session,
        "order.payment_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "attempt": attempt,
            "amount": order.due_today,
            "currency": order.currency,
            "payment_method": {
                "provider": order.payment_method["provider"],
                "token": order.payment_method["token"],
            },
            "idempotency_key": authorisation_key(order.id, attempt),
            "customer": {"id": order.customer_id, "email": order.customer_email},
            "mandate": (
                {"monthly_amount": order.monthly, "currency": order.currency}
                if order.monthly
                else None
            ),
        },
    )
    record(
        session,
        order.id,
        "authorise_payment",
        "payment_requested",
        at=now,
        attempt=attempt,
        amount=order.due_today,
    )


def authorisation_key(order_id: str, attempt: int) -> str:
    return f"{order_id}:auth:{attempt}"


def _awaits_payment(saga: OrderSaga, attempt: Any) -> bool:
    return (
        saga.status == "running"
        and saga.step == "authorise_payment"
        and saga.payment == "requested"
        and attempt == saga.payment_attempt
    )


def payment_authorised(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)
    payload = envelope.payload
    authorisation_id = payload.get("authorisation_id")

    if _awaits_payment(saga, payload.get("attempt")):
        saga.payment = "authorised"
        saga.authorisation_id = authorisation_id
        saga.mandate_id = payload.get("mandate_id")
        record(
            session,
            order.id,
            "authorise_payment",
            "payment_authorised",
            event_id=envelope.id,
            at=now,
            authorisation_id=authorisation_id,
        )
        _confirm(session, saga, order, now)
        return

    if authorisation_id and authorisation_id == saga.authorisation_id:
        record(
            session,
            order.id,
            saga.step,
            "payment_authorised",
            "duplicate",
            event_id=envelope.id,
            at=now,
        )
        return

    # Authorised after the saga stopped waiting: void it, never apply it.
    record(
        session,
        order.id,
        saga.step,
        "late_payment_authorised",
        "compensated",
        event_id=envelope.id,
        at=now,
        authorisation_id=authorisation_id,
    )
    _require_void(session, saga, order, now, authorisation_id, payload.get("attempt"))


def payment_declined(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if not _awaits_payment(saga, envelope.payload.get("attempt")):
        record(
            session,
            order.id,
            saga.step,
            "payment_declined",
            "ignored",
            event_id=envelope.id,
            at=now,
        )
        return
    saga.payment = "declined"
    record(
        session,
        order.id,
        "authorise_payment",
        "payment_declined",
        "failed",
        event_id=envelope.id,
        at=now,
        reason=envelope.payload.get("reason"),
    )
    fail(session, saga, order, "payment_declined", now)


def payment_captured(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if "capture_payment" not in saga.outstanding:
        record(
            session,
            order.id,
            saga.step,
            "payment_captured",
            "duplicate",
            event_id=envelope.id,
            at=now,
        )
        return
    saga.payment = "captured"
    saga.captured_amount = int(envelope.payload.get("amount") or order.due_today)
    _acknowledge(session, saga, order, "capture_payment", envelope.id, now)


def payment_voided(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    if "void_authorisation" not in saga.outstanding:
        record(
            session,
            order.id,
            saga.step,
            "payment_voided",
            "duplicate",
            event_id=envelope.id,
            at=now,
        )
        return
    saga.payment = "voided"
    _acknowledge(
        session,
        saga,
        order,
        "void_authorisation",
        envelope.id,
        now,
        outcome=envelope.payload.get("outcome", "voided"),
    )


def payment_refunded(session: Session, envelope: Any) -> None:
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)

    name = "refund:" + str(envelope.payload.get("idempotency_key"))
    if name not in saga.outstanding:
        record(
            session,
            order.id,
            saga.step,
            "payment_refunded",
            "duplicate",
            event_id=envelope.id,
            at=now,
        )
        return
    saga.refunded_amount += int(envelope.payload.get("amount") or 0)
    from services.order.returns import mark_refunded

    mark_refunded(session, order, saga.outstanding[name]["payload"], now)
    _acknowledge(session, saga, order, name, envelope.id, now)


def payment_command_failed(session: Session, envelope: Any) -> None:
    """A capture, void or refund failed at the provider: the tick re-sends it."""
    opened = _open(session, envelope)
    if opened is None:
        return
    saga, order = opened
    now = now_utc()
    _touch(saga, order, now)
    record(
        session,
        order.id,
        saga.step,
        envelope.type.split(".", 1)[1],
        "failed",
        event_id=envelope.id,
        at=now,
        reason=envelope.payload.get("reason"),
    )


# Confirmation and capture


def _confirm(session: Session, saga: OrderSaga, order: Order, now: datetime) -> None:
    settings = settings_for(session)
    order.status = "confirmed"
    order.confirmed_at = now
    saga.step = "fulfil"
    saga.deadline_at = fulfilment_deadline(order, settings, now)

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
    notify(
        session, order, "order.confirmed", f"Order {order.number} is confirmed", at=now
    )
    record(session, order.id, "confirm", "order_confirmed", at=now)


def fulfilment_deadline(
    order: Order, settings: OrderSettings, now: datetime
) -> datetime:
    """Long enough for the latest port-in date plus a few days' slack."""
    deadline = now + timedelta(seconds=settings.fulfilment_timeout_s)
    for line in order.lines:
        if line.port_date is not None:
            port_deadline = datetime.combine(
                line.port_date, datetime.min.time(), now.tzinfo
            ) + timedelta(days=3)
            deadline = max(deadline, port_deadline)
    return deadline


def request_capture(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    """The first item shipped: take the money authorised for today."""
    if saga.payment != "authorised":
        return
    saga.payment = "capture_requested"
    _send(
        session,
        saga,
        now,
        "capture_payment",
        "order.capture_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "authorisation_id": saga.authorisation_id,
            "amount": order.due_today,
            "currency": order.currency,
            "idempotency_key": f"{order.id}:capture",
        },
    )
    record(
        session, order.id, "fulfil", "capture_requested", at=now, amount=order.due_today
    )


def request_refund(
    session: Session,
    saga: OrderSaga,
    order: Order,
    now: datetime,
    *,
    amount: int,
    key: str,
    reason: str,
    return_id: str | None = None,
) -> None:
    if amount <= 0:
        return
    idempotency_key = f"{order.id}:refund:{key}"
    _send(
        session,
        saga,
        now,
        f"refund:{idempotency_key}",
        "order.refund_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "authorisation_id": saga.authorisation_id,
            "amount": amount,
            "currency": order.currency,
            "reason": reason,
            "return_id": return_id,
            "idempotency_key": idempotency_key,
        },
    )
    record(
        session,
        order.id,
        saga.step,
        "refund_requested",
        at=now,
        amount=amount,
        reason=reason,
    )


# Failure and compensation


def fail(
    session: Session,
    saga: OrderSaga,
    order: Order,
    code: str,
    now: datetime,
    *,
    actor: str = "saga",
    **facts: Any,
) -> None:
    """Cancel the order: compensate every step done, then wait for the acks."""
    if saga.status in ("compensating", "cancelled"):
        return
    saga.status = "compensating"
    saga.failure_code = code
    saga.step = "compensate"
    saga.deadline_at = None
    order.status = "cancelling"
    order.customer_reason = customer_reason(code, **facts)
    for line in order.lines:
        if line.status not in ("dispatched", "active", "failed"):
            line.status = "cancelled"

    cancelled = {
        "order_id": order.id,
        "order_number": order.number,
        "reason": code,
        "customer_reason": order.customer_reason,
        "customer_email": order.customer_email,
        "lines": stock_lines_of(order),
    }
    if saga.stock in HELD_STOCK:
        saga.stock = "release_requested"
        _send(session, saga, now, "release_stock", "order.cancelled", cancelled)
    else:
        events.emit(session, "order.cancelled", cancelled)

    if saga.payment in OPEN_PAYMENT:
        _require_void(
            session, saga, order, now, saga.authorisation_id, saga.payment_attempt
        )
    elif saga.payment in TAKEN_PAYMENT:
        request_refund(
            session,
            saga,
            order,
            now,
            amount=order.due_today,
            key="cancellation",
            reason=code,
        )

    notify(
        session, order, "order.cancelled", f"Order {order.number} is cancelled", at=now
    )
    record(
        session,
        order.id,
        "compensate",
        "compensation_started",
        at=now,
        actor=actor,
        reason=code,
        pending=sorted(saga.outstanding),
    )
    log.info("order_saga_failed", order_id=order.id, reason=code)
    _finish_if_settled(session, saga, order, now)


def _require_release(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    saga.stock = "release_requested"
    _send(
        session,
        saga,
        now,
        "release_stock",
        "order.cancelled",
        {
            "order_id": order.id,
            "order_number": order.number,
            "reason": saga.failure_code or "late_reservation",
            "customer_reason": order.customer_reason or "",
            "customer_email": order.customer_email,
            "lines": stock_lines_of(order),
        },
    )
    _reopen_if_closed(saga)


def _require_void(
    session: Session,
    saga: OrderSaga,
    order: Order,
    now: datetime,
    authorisation_id: str | None,
    attempt: Any,
) -> None:
    saga.payment = "void_requested"
    attempt = attempt or saga.payment_attempt or 1
    _send(
        session,
        saga,
        now,
        "void_authorisation",
        "order.void_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "attempt": attempt,
            "authorisation_id": authorisation_id,
            "authorisation_key": authorisation_key(order.id, attempt),
            "idempotency_key": f"{order.id}:void:{attempt}",
            "reason": saga.failure_code or "late_authorisation",
        },
    )
    _reopen_if_closed(saga)


def _reopen_if_closed(saga: OrderSaga) -> None:
    """A cancelled saga with a new compensation to watch is compensating again."""
    if saga.status == "cancelled":
        saga.status = "compensating"


def _send(
    session: Session,
    saga: OrderSaga,
    now: datetime,
    name: str,
    event_type: str,
    payload: dict[str, Any],
) -> None:
    """Emit a command whose acknowledgement the saga waits for."""
    events.emit(session, event_type, payload)
    saga.outstanding = {
        **saga.outstanding,
        name: {"type": event_type, "payload": payload},
    }
    if saga.next_retry_at is None:
        settings = settings_for(session)
        saga.outstanding_attempts = 1
        saga.next_retry_at = now + timedelta(seconds=settings.compensation_timeout_s)


def _acknowledge(
    session: Session,
    saga: OrderSaga,
    order: Order,
    name: str,
    event_id: str,
    now: datetime,
    **detail: Any,
) -> None:
    saga.outstanding = {k: v for k, v in saga.outstanding.items() if k != name}
    record(
        session,
        order.id,
        saga.step,
        f"{name}_acknowledged",
        event_id=event_id,
        at=now,
        **detail,
    )
    _finish_if_settled(session, saga, order, now)


def _finish_if_settled(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    if saga.outstanding:
        return
    saga.outstanding_attempts = 0
    saga.next_retry_at = None

    if saga.status == "parked":
        _unpark(session, saga, order, now, "resolved", "saga")
    if saga.status == "compensating":
        saga.status = "cancelled"
        saga.step = "done"
        order.status = "cancelled"
        order.closed_at = order.closed_at or now
        record(session, order.id, "compensate", "order_cancelled", at=now)


# Timers, retries and parking


def tick(session: Session, saga: OrderSaga, now: datetime) -> None:
    """Time out an overdue step; re-send unacknowledged commands with backoff."""
    order = saga.order
    deadline = aware(saga.deadline_at)
    if saga.status == "running" and deadline is not None and deadline <= now:
        _time_out(session, saga, order, now)
        return

    retry_at = aware(saga.next_retry_at)
    if not saga.outstanding or saga.status == "parked":
        return
    if retry_at is None or retry_at > now:
        return

    settings = settings_for(session)
    if saga.outstanding_attempts >= settings.compensation_max_attempts:
        park(
            session,
            saga,
            order,
            now,
            "unacknowledged after retries: " + ", ".join(sorted(saga.outstanding)),
        )
        return

    saga.outstanding_attempts += 1
    for command in saga.outstanding.values():
        events.emit(session, command["type"], command["payload"])
    backoff = settings.compensation_timeout_s * 2 ** (saga.outstanding_attempts - 1)
    saga.next_retry_at = now + timedelta(seconds=backoff)
    record(
        session,
        order.id,
        saga.step,
        "commands_resent",
        "retry",
        at=now,
        attempt=saga.outstanding_attempts,
        pending=sorted(saga.outstanding),
    )


def _time_out(session: Session, saga: OrderSaga, order: Order, now: datetime) -> None:
    _touch(saga, order, now)
    if saga.step == "reserve_stock" and saga.stock == "requested":
        saga.stock = "timed_out"
        record(
            session, order.id, "reserve_stock", "deadline_passed", "timed_out", at=now
        )
        fail(session, saga, order, "stock_timeout", now)
    elif saga.step == "authorise_payment" and saga.payment == "requested":
        saga.payment = "timed_out"
        record(
            session,
            order.id,
            "authorise_payment",
            "deadline_passed",
            "timed_out",
            at=now,
        )
        fail(session, saga, order, "payment_timeout", now)
    elif saga.step == "fulfil":
        saga.deadline_at = None
        park(session, saga, order, now, "fulfilment overdue: lines still open")


def park(
    session: Session, saga: OrderSaga, order: Order, now: datetime, reason: str
) -> None:
    """Stop retrying: the order waits, listed, for a person to decide."""
    pending = {
        "status_before": saga.status,
        "order_status_before": order.status,
        "outstanding": sorted(saga.outstanding),
    }
    saga.status = "parked"
    order.status = "parked"
    session.add(
        ParkedOrder(order_id=order.id, parked_at=now, reason=reason, pending=pending)
    )
    events.emit(
        session,
        "order.parked",
        {"order_id": order.id, "order_number": order.number, "reason": reason},
    )
    record(
        session, order.id, saga.step, "order_parked", "parked", at=now, reason=reason
    )
    log.warning("order_parked", order_id=order.id, reason=reason)


def open_park(session: Session, order_id: str) -> ParkedOrder | None:
    return session.scalars(
        select(ParkedOrder).where(
            ParkedOrder.order_id == order_id, ParkedOrder.resolved_at.is_(None)
        )
    ).first()


def _unpark(
    session: Session,
    saga: OrderSaga,
    order: Order,
    now: datetime,
    resolution: str,
    actor: str,
) -> None:
    parked = open_park(session, order.id)
    if parked is not None:
        parked.resolved_at = now
        parked.resolved_by = actor
        parked.resolution = resolution
        saga.status = parked.pending.get("status_before", "running")
        order.status = parked.pending.get("order_status_before", order.status)
    record(
        session, order.id, saga.step, "order_unparked", resolution, at=now, actor=actor
    )


def retry_parked(session: Session, saga: OrderSaga, now: datetime, actor: str) -> None:
    """An operator's retry: resume where the saga stopped, fresh attempts."""
    order = saga.order
    _unpark(session, saga, order, now, "retried", actor)
    settings = settings_for(session)
    if saga.step == "fulfil" and saga.status == "running":
        saga.deadline_at = fulfilment_deadline(order, settings, now)
        for line in order.lines:
            if line.status in ("pending", "reserved"):
                line.fulfilment_attempts = 0
    if saga.outstanding:
        saga.outstanding_attempts = 0
        saga.next_retry_at = now
        tick(session, saga, now)


def cancel_parked(session: Session, saga: OrderSaga, now: datetime, actor: str) -> None:
    """An operator's cancel of a parked order.

    Parked while running (fulfilment overdue): cancel with compensations.
    Parked while compensating: the operator settled the stuck compensation
    by hand (e.g. voided at the provider), so the saga closes as cancelled
    and the cleared commands are written to the audit trail.
    """
    order = saga.order
    _unpark(session, saga, order, now, "cancelled", actor)
    if saga.status == "compensating":
        cleared = sorted(saga.outstanding)
        saga.outstanding = {}
        record(
            session,
            order.id,
            "compensate",
            "compensations_settled_by_staff",
            at=now,
            actor=actor,
            cleared=cleared,
        )
        _finish_if_settled(session, saga, order, now)
        return
    saga.status = "running"
    fail(session, saga, order, "cancelled_by_staff", now, actor=actor)
