"""Customer cancellation before dispatch and the 14-day cooling-off return.

Cancellation is possible until the point of no return: the first dispatch.
After it, a device or a whole line can be returned within 14 days of
delivery (of dispatch when no delivery was reported). The refund goes out
through the payment service and the stock goes back to the catalog when the
item is received, not when the return is asked for.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.order import events, saga
from services.order.errors import (
    CancellationTooLate,
    CoolingOffOver,
    LineNotReturnable,
    ReturnNotAwaitingReceipt,
)
from services.order.fulfilment import AlreadyDispatched, FulfilmentError
from services.order.models import Order, OrderLine, OrderReturn, OrderSaga
from services.order.timeline import aware, notify, record

COOLING_OFF = timedelta(days=14)


def cancel_by_customer(
    session: Session, order_id: str, now: datetime, adapter_factory: Any
) -> OrderSaga:
    """Cancel before dispatch; withdraw submitted lines from fulfilment first."""
    state = saga.lock_saga(session, order_id)
    order = state.order
    if state.status != "running" or any(ln.dispatched_at for ln in order.lines):
        raise CancellationTooLate(
            "this order can no longer be cancelled; you can return it within "
            "14 days of delivery instead"
        )

    withdraw_from_fulfilment(session, order, adapter_factory)
    saga.fail(session, state, order, "cancelled_by_customer", now, actor="customer")
    return state


def withdraw_from_fulfilment(
    session: Session, order: Order, adapter_factory: Any
) -> None:
    """Take back every submitted, undispatched line from the warehouse.

    Runs under the saga lock, so no callback can slip in between; the
    fulfilment system answers 409 for anything already dispatched.
    """
    submitted = [ln for ln in order.lines if ln.status == "submitted"]
    if not submitted:
        return
    adapter = adapter_factory(session)
    for line in submitted:
        try:
            adapter.cancel(line)
        except AlreadyDispatched:
            raise CancellationTooLate(
                "part of this order has already been dispatched"
            ) from None
        except FulfilmentError as exc:
            raise CancellationTooLate(
                "the warehouse could not confirm the cancellation; "
                "please try again shortly"
            ) from exc
        line.status = "cancelled"


def request_return(
    session: Session, order_id: str, line_id: str, scope: str, now: datetime
) -> OrderReturn:
    state = saga.lock_saga(session, order_id)
    order = state.order
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None or line.dispatched_at is None or line.status == "returned":
        raise LineNotReturnable("this line has not been delivered or is returned")
    if scope == "device" and not line.sku:
        raise LineNotReturnable("this line has no device to return")
    if _open_return(session, line.id) is not None:
        raise LineNotReturnable("a return for this line is already open")

    received_from = aware(line.delivered_at or line.dispatched_at)
    if now > received_from + COOLING_OFF:
        raise CoolingOffOver(
            "the 14-day cooling-off period for this line ended on "
            f"{(received_from + COOLING_OFF).date().isoformat()}"
        )

    # What was paid today for the line is its device (and connection fee);
    # monthly charges stop through order.return_received for a whole line.
    refund = line.due_today
    returned = OrderReturn(
        id=str(uuid.uuid4()),
        order_id=order.id,
        line_id=line.id,
        scope=scope,
        status="awaiting_receipt",
        refund_amount=refund,
        currency=order.currency,
        requested_at=now,
    )
    session.add(returned)
    events.emit(
        session,
        "order.return_requested",
        {
            "order_id": order.id,
            "order_number": order.number,
            "return_id": returned.id,
            "line_id": line.id,
            "scope": scope,
            "customer_email": order.customer_email,
        },
    )
    notify(
        session,
        order,
        "order.return_requested",
        f"Return label for order {order.number}",
        at=now,
    )
    record(
        session,
        order.id,
        state.step,
        "return_requested",
        at=now,
        actor="customer",
        return_id=returned.id,
        line_id=line.id,
        scope=scope,
    )
    return returned


def receive_return(
    session: Session, order_id: str, return_id: str, now: datetime, actor: str
) -> OrderReturn:
    """The item is back: put the stock back and send the refund."""
    state = saga.lock_saga(session, order_id)
    order = state.order
    returned = session.scalars(
        select(OrderReturn).where(
            OrderReturn.id == return_id, OrderReturn.order_id == order_id
        )
    ).first()
    if returned is None or returned.status != "awaiting_receipt":
        raise ReturnNotAwaitingReceipt("this return is not waiting for the item")
    line = next(ln for ln in order.lines if ln.id == returned.line_id)

    returned.status = "refund_requested" if returned.refund_amount else "refunded"
    returned.received_at = now
    if returned.scope == "line":
        line.status = "returned"
    stock = [{"line_id": line.id, "sku": line.sku, "quantity": 1}] if line.sku else []
    events.emit(
        session,
        "order.return_received",
        {
            "order_id": order.id,
            "return_id": returned.id,
            "line_id": line.id,
            "scope": returned.scope,
            "lines": stock,
        },
    )
    saga.request_refund(
        session,
        state,
        order,
        now,
        amount=returned.refund_amount,
        key=f"return:{returned.id}",
        reason="cooling_off_return",
        return_id=returned.id,
    )
    record(
        session,
        order.id,
        state.step,
        "return_received",
        at=now,
        actor=actor,
        return_id=returned.id,
    )
    return returned


def mark_refunded(
    session: Session, order: Order, refund_payload: dict, now: datetime
) -> None:
    return_id = refund_payload.get("return_id")
    if not return_id:
        return
    returned = session.get(OrderReturn, return_id)
    if returned is not None:
        returned.status = "refunded"
        returned.refunded_at = now
        notify(
            session,
            order,
            "order.refunded",
            f"Your refund for order {order.number} is on its way",
            at=now,
        )


def _open_return(session: Session, line_id: str) -> OrderReturn | None:
    return session.scalars(
        select(OrderReturn).where(
            OrderReturn.line_id == line_id, OrderReturn.status != "refunded"
        )
    ).first()


def returnable(line: OrderLine) -> bool:
    return line.dispatched_at is not None and line.status != "returned"
