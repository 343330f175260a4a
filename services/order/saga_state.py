"""Loading, locking and reading the saga's persisted state.

Every saga function starts here: ``lock_saga`` takes the row lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers and the
version column catches a lost race), then reloads the order and its lines
so that what the function reads is what the lock protects.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.order.models import Order, OrderLine, OrderSaga, OrderSettings
from services.order.timeline import already_handled, now_utc, record
from shared.tenancy.context import require_tenant

log = structlog.get_logger(__name__)

OPEN_PAYMENT = ("requested", "timed_out", "authorised")
TAKEN_PAYMENT = ("capture_requested", "captured")
HELD_STOCK = ("requested", "reserved", "refused", "timed_out")


def settings_for(session: Session) -> OrderSettings:
    """The brand's order settings; created with defaults on first use."""
    found = session.scalars(select(OrderSettings)).first()
    if found is not None:
        return found

    created = OrderSettings(
        number_prefix=require_tenant().slug[:2].upper(),
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
    """The saga row, locked for this transaction, with its order and lines fresh."""
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

    fresh = {"populate_existing": True}
    session.scalars(
        select(Order).where(Order.id == order_id).execution_options(**fresh)
    ).one()
    session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .execution_options(**fresh)
    ).all()
    return saga


def open_event(session: Session, envelope: Any) -> tuple[OrderSaga, Order] | None:
    """Lock the event's saga; None for an unknown order or a repeat delivery."""
    order_id = (envelope.payload or {}).get("order_id")
    saga = lock_saga(session, order_id)
    if saga is None:
        log.warning("event_for_unknown_order", type=envelope.type, order_id=order_id)
        return None
    if already_handled(session, order_id, envelope.id):
        log.info("duplicate_delivery_ignored", type=envelope.type, order_id=order_id)
        return None

    now = now_utc()
    saga.updated_at = now
    saga.order.updated_at = now
    return saga, saga.order


def note(
    session: Session,
    saga: OrderSaga,
    action: str,
    outcome: str = "done",
    *,
    event_id: str | None = None,
    actor: str = "saga",
    **detail: Any,
) -> None:
    """Write one timeline entry for the saga's current step."""
    record(
        session,
        saga.order_id,
        saga.step,
        action,
        outcome,
        event_id=event_id,
        actor=actor,
        **detail,
    )


def stock_lines_of(order: Order) -> list[dict[str, Any]]:
    return [
        {"line_id": line.id, "sku": line.sku, "quantity": 1}
        for line in order.lines
        if line.needs_stock
    ]


def authorisation_key(order_id: str, attempt: int) -> str:
    return f"{order_id}:auth:{attempt}"


def fulfilment_deadline(
    order: Order, settings: OrderSettings, now: datetime
) -> datetime:
    """Long enough for the latest port-in date plus a few days' slack."""
    deadline = now + timedelta(seconds=settings.fulfilment_timeout_s)
    for line in order.lines:
        if line.port_date is not None:
            port_day = datetime.combine(line.port_date, datetime.min.time(), now.tzinfo)
            deadline = max(deadline, port_day + timedelta(days=3))
    return deadline
