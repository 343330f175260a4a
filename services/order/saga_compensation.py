"""Failure, compensation, retries and parking of the order saga.

A failure compensates every step already done (stock: ``order.cancelled``,
which the catalog answers with ``catalog.stock_released``; an open
authorisation: ``order.void_requested``; money taken: a refund) and waits
for the acknowledgements. Commands waiting for an answer live in
``saga.outstanding``; ``tick`` re-sends them unchanged with exponential
backoff and parks the order once the brand's attempts are used up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.order import events
from services.order.models import Order, OrderSaga, ParkedOrder
from services.order.saga_state import (
    HELD_STOCK,
    OPEN_PAYMENT,
    TAKEN_PAYMENT,
    authorisation_key,
    fulfilment_deadline,
    note,
    settings_for,
    stock_lines_of,
)
from services.order.timeline import aware, customer_reason, notify

log = structlog.get_logger(__name__)


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

    if saga.stock in HELD_STOCK:
        require_release(session, saga, order, now)
    else:
        events.emit(session, "order.cancelled", _cancelled(saga, order))
    if saga.payment in OPEN_PAYMENT:
        require_void(session, saga, order, now, saga.authorisation_id, None)
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

    notify(session, order, "order.cancelled", f"Order {order.number} is cancelled")
    note(
        session,
        saga,
        "compensation_started",
        actor=actor,
        reason=code,
        pending=sorted(saga.outstanding),
    )
    log.info("order_saga_failed", order_id=order.id, reason=code)
    finish_if_settled(session, saga, order, now)


def _cancelled(saga: OrderSaga, order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "order_number": order.number,
        "reason": saga.failure_code or "late_reservation",
        "customer_reason": order.customer_reason or "",
        "customer_email": order.customer_email,
        "lines": stock_lines_of(order),
    }


def require_release(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    """Put the order's stock back (``order.cancelled``) and wait for the ack."""
    saga.stock = "release_requested"
    send(
        session, saga, now, "release_stock", "order.cancelled", _cancelled(saga, order)
    )
    _reopen_if_closed(saga)


def require_void(
    session: Session,
    saga: OrderSaga,
    order: Order,
    now: datetime,
    authorisation_id: str | None,
    attempt: int | None,
) -> None:
    """Void an authorisation, by id or, when its answer never came, by key."""
    saga.payment = "void_requested"
    attempt = attempt or saga.payment_attempt or 1
    payload = {
        "order_id": order.id,
        "order_number": order.number,
        "attempt": attempt,
        "authorisation_id": authorisation_id,
        "authorisation_key": authorisation_key(order.id, attempt),
        "idempotency_key": f"{order.id}:void:{attempt}",
        "reason": saga.failure_code or "late_authorisation",
    }
    send(session, saga, now, "void_authorisation", "order.void_requested", payload)
    _reopen_if_closed(saga)


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
    payload = {
        "order_id": order.id,
        "order_number": order.number,
        "attempt": saga.payment_attempt,
        "authorisation_id": saga.authorisation_id,
        "amount": amount,
        "currency": order.currency,
        "reason": reason,
        "return_id": return_id,
        "idempotency_key": idempotency_key,
    }
    send(
        session,
        saga,
        now,
        f"refund:{idempotency_key}",
        "order.refund_requested",
        payload,
    )
    note(session, saga, "refund_requested", amount=amount, reason=reason)


def _reopen_if_closed(saga: OrderSaga) -> None:
    """A cancelled saga with a new compensation to watch is compensating again."""
    if saga.status == "cancelled":
        saga.status = "compensating"


def send(
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


def acknowledge(
    session: Session,
    saga: OrderSaga,
    order: Order,
    name: str,
    event_id: str,
    now: datetime,
    **detail: Any,
) -> None:
    saga.outstanding = {k: v for k, v in saga.outstanding.items() if k != name}
    note(session, saga, f"{name}_acknowledged", event_id=event_id, **detail)
    finish_if_settled(session, saga, order, now)


def finish_if_settled(
    session: Session, saga: OrderSaga, order: Order, now: datetime
) -> None:
    """Nothing left unacknowledged: a compensating saga is now cancelled."""
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
        note(session, saga, "order_cancelled")


# The clock: deadlines, retries, parking


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
        waiting = ", ".join(sorted(saga.outstanding))
        park(session, saga, order, now, f"unacknowledged after retries: {waiting}")
        return

    saga.outstanding_attempts += 1
    for command in saga.outstanding.values():
        events.emit(session, command["type"], command["payload"])
    backoff = settings.compensation_timeout_s * 2 ** (saga.outstanding_attempts - 1)
    saga.next_retry_at = now + timedelta(seconds=backoff)
    note(
        session,
        saga,
        "commands_resent",
        "retry",
        attempt=saga.outstanding_attempts,
        pending=sorted(saga.outstanding),
    )


def _time_out(session: Session, saga: OrderSaga, order: Order, now: datetime) -> None:
    saga.updated_at = order.updated_at = now
    if saga.step == "reserve_stock" and saga.stock == "requested":
        saga.stock = "timed_out"
        note(session, saga, "deadline_passed", "timed_out")
        fail(session, saga, order, "stock_timeout", now)
    elif saga.step == "authorise_payment" and saga.payment == "requested":
        saga.payment = "timed_out"
        note(session, saga, "deadline_passed", "timed_out")
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
    note(session, saga, "order_parked", "parked", reason=reason)
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
    note(session, saga, "order_unparked", resolution, actor=actor)


def retry_parked(session: Session, saga: OrderSaga, now: datetime, actor: str) -> None:
    """An operator's retry: resume where the saga stopped, with fresh attempts."""
    order = saga.order
    _unpark(session, saga, order, now, "retried", actor)
    if saga.step == "fulfil" and saga.status == "running":
        saga.deadline_at = fulfilment_deadline(order, settings_for(session), now)
        for line in order.lines:
            if line.status in ("pending", "reserved"):
                line.fulfilment_attempts = 0
    if saga.outstanding:
        saga.outstanding_attempts = 0
        saga.next_retry_at = now
        tick(session, saga, now)


def cancel_parked(session: Session, saga: OrderSaga, now: datetime, actor: str) -> None:
    """An operator's cancel of a parked order.

    Parked while fulfilling (overdue): cancel, with compensations. Parked
    with a stuck command (a void, a release, a capture): the operator
    settled it by hand (e.g. at the provider's dashboard), so the commands
    are cleared, named on the audit trail, and the saga closes.
    """
    order = saga.order
    _unpark(session, saga, order, now, "cancelled", actor)
    if saga.status == "running" and not saga.outstanding:
        fail(session, saga, order, "cancelled_by_staff", now, actor=actor)
        return

    cleared = sorted(saga.outstanding)
    saga.outstanding = {}
    note(session, saga, "commands_settled_by_staff", actor=actor, cleared=cleared)
    finish_if_settled(session, saga, order, now)
