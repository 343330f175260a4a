"""The order's timeline, the notification log and the words a customer reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.order.models import Notification, Order, SagaStep

# Why an order was cancelled, in words for the customer (codes stay internal).
CUSTOMER_REASONS = {
    "out_of_stock": "Sorry, {item} is out of stock, so we cancelled your order. "
    "Nothing has been charged.",
    "stock_timeout": "We could not confirm stock for your order in time, so we "
    "cancelled it. Nothing has been charged.",
    "payment_declined": "Your payment was declined, so we cancelled your order. "
    "Nothing has been charged.",
    "payment_timeout": "Your payment could not be confirmed in time, so we "
    "cancelled your order. Any hold on your card is being released.",
    "fulfilment_failed": "We could not prepare your order for dispatch, so we "
    "cancelled it. Any hold on your card is being released.",
    "cancelled_by_customer": "You cancelled this order. Any hold on your card "
    "is being released.",
    "cancelled_by_staff": "Our customer service team cancelled this order. Any "
    "payment taken is being returned.",
}


def now_utc() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def customer_reason(code: str, **facts: Any) -> str:
    template = CUSTOMER_REASONS.get(code, "We cancelled your order. ({code})")
    return template.format(code=code, item=facts.get("item") or "an item")


def already_handled(session: Session, order_id: str, event_id: str | None) -> bool:
    """True when this delivery (by event id) is on the timeline already."""
    if event_id is None:
        return False
    found = session.scalars(
        select(SagaStep.id).where(
            SagaStep.order_id == order_id, SagaStep.event_id == event_id
        )
    ).first()
    return found is not None


def record(
    session: Session,
    order_id: str,
    step: str,
    action: str,
    outcome: str = "done",
    *,
    event_id: str | None = None,
    actor: str = "saga",
    at: datetime | None = None,
    **detail: Any,
) -> SagaStep:
    entry = SagaStep(
        order_id=order_id,
        at=at or now_utc(),
        step=step,
        action=action,
        outcome=outcome,
        detail=detail,
        event_id=event_id,
        actor=actor,
    )
    session.add(entry)
    return entry


def notify(
    session: Session,
    order: Order,
    kind: str,
    subject: str,
    recipient: str | None = None,
    at: datetime | None = None,
) -> None:
    """Log what the customer is told; the notifier sends it from the event."""
    session.add(
        Notification(
            order_id=order.id,
            at=at or now_utc(),
            kind=kind,
            channel="email",
            recipient=recipient or order.customer_email,
            subject=subject,
        )
    )


def timeline_of(session: Session, order_id: str) -> list[SagaStep]:
    return list(
        session.scalars(
            select(SagaStep)
            .where(SagaStep.order_id == order_id)
            .order_by(SagaStep.at, SagaStep.id)
        )
    )
