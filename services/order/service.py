"""The order service's use cases; each owns its transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from services.order import fulfilment_simulator, returns, saga, saga_fulfilment
from services.order.errors import OrderNotFound, OrderNotParked
from services.order.models import (
    Order,
    OrderLine,
    OrderReturn,
    OrderSaga,
    OrderSettings,
    ParkedOrder,
    db,
)
from services.order.schemas import FulfilmentCallbackSchema
from services.order.timeline import now_utc, timeline_of

log = structlog.get_logger(__name__)


# Creation


def create_order(data: dict[str, Any], idempotency_key: str | None) -> Order:
    """Create the order and start its saga in one transaction."""
    session = db.session
    if idempotency_key:
        existing = session.scalars(
            select(Order).where(Order.idempotency_key == idempotency_key)
        ).first()
        if existing is not None:
            return existing

    now = now_utc()
    settings = saga.settings_for(session)
    order = Order(
        id=str(uuid.uuid4()),
        number=_next_number(session, settings),
        status="placed",
        channel=data["channel"],
        basket_id=data.get("basket_id"),
        idempotency_key=idempotency_key,
        customer_id=data["customer"].get("id"),
        customer_name=data["customer"].get("name"),
        customer_email=data["customer"]["email"].lower(),
        customer_phone=data["customer"].get("phone"),
        delivery_address=data["delivery_address"],
        payment_method=data["payment_method"],
        currency=data["currency"],
        due_today=data["totals"]["due_today"],
        monthly=data["totals"]["monthly"],
        created_at=now,
        updated_at=now,
    )
    order.lines = [_line(position, line) for position, line in enumerate(data["lines"])]
    session.add(order)
    saga.start(session, order, now)

    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if not idempotency_key:
            raise
        return session.scalars(
            select(Order).where(Order.idempotency_key == idempotency_key)
        ).one()
    log.info("order_placed", order_id=order.id, number=order.number)
    return order


def _next_number(session, settings: OrderSettings) -> str:
    """The brand's next human order number (NW-100001); one UPDATE, row-locked."""
    session.flush()
    issued = session.execute(
        update(OrderSettings)
        .where(OrderSettings.id == settings.id)
        .values(next_number=OrderSettings.next_number + 1)
        .returning(OrderSettings.next_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{settings.number_prefix}-{issued - 1}"


def _line(position: int, data: dict[str, Any]) -> OrderLine:
    number = data.get("number") or {}
    price_option = data.get("price_option")
    months = None
    if price_option and price_option.startswith("instalment_"):
        months = int(price_option.split("_", 1)[1])
    pac = number.get("pac_code")
    return OrderLine(
        id=str(uuid.uuid4()),
        position=position,
        kind=data["kind"],
        bundle=data.get("bundle"),
        product_code=data.get("plan_code") or data.get("device_product_code") or "",
        plan_term_months=data.get("plan_term_months"),
        sku=data.get("sku"),
        device_product_code=data.get("device_product_code"),
        price_option=price_option,
        instalment_months=months,
        instalment_amount=data.get("instalment_amount"),
        addons=data.get("addons") or [],
        sim_type=data.get("sim_type"),
        esim_email=(data.get("esim_email") or None),
        number_choice=number.get("type"),
        port_msisdn=(number.get("msisdn") or "").replace(" ", "") or None,
        pac_code=pac.upper() if pac else None,
        port_date=number.get("port_date"),
        due_today=data["due_today"],
        monthly=data["monthly"],
        status="pending",
        fulfilment_attempts=0,
        milestones={},
    )


# Reading


def get_order(order_id: str) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


def customer_order(order_id: str, customer: str) -> Order:
    """One of the customer's own orders; anyone else's is not found."""
    order = get_order(order_id)
    if order.customer_id is None or order.customer_id != customer:
        raise OrderNotFound(f"no order {order_id}")
    return order


def customer_orders(customer: str) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.customer_id == customer)
            .order_by(Order.created_at.desc())
            .limit(100)
        )
    )


def with_timeline(order: Order) -> dict[str, Any]:
    return {
        **{c: getattr(order, c) for c in order.__mapper__.columns.keys()},
        "lines": order.lines,
        "saga": order.saga,
        "timeline": timeline_of(db.session, order.id),
    }


def search_orders(number=None, email=None, phone=None, status=None) -> list[Order]:
    query = select(Order).order_by(Order.created_at.desc()).limit(100)
    if number:
        query = query.where(Order.number == number.upper())
    if email:
        query = query.where(Order.customer_email == email.lower())
    if phone:
        digits = phone.replace(" ", "")
        matching_lines = select(OrderLine.order_id).where(
            or_(OrderLine.msisdn == digits, OrderLine.port_msisdn == digits)
        )
        query = query.where(
            or_(Order.customer_phone == digits, Order.id.in_(matching_lines))
        )
    if status:
        query = query.where(Order.status == status)
    return list(db.session.scalars(query))


def parked_orders() -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ParkedOrder, Order.number)
        .join(Order, Order.id == ParkedOrder.order_id)
        .where(ParkedOrder.resolved_at.is_(None))
        .order_by(ParkedOrder.parked_at)
    ).all()
    return [
        {
            "order_id": parked.order_id,
            "order_number": number,
            "parked_at": parked.parked_at,
            "reason": parked.reason,
            "pending": parked.pending,
        }
        for parked, number in rows
    ]


# Changes by customers and staff


def _in_transaction(change, *args: Any) -> Any:
    try:
        result = change(db.session, *args)
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise


def cancel_order(order_id: str, customer: str) -> Order:
    order = customer_order(order_id, customer)
    _in_transaction(
        returns.cancel_by_customer, order.id, now_utc(), saga_fulfilment.adapter_for
    )
    return order


def request_return(order_id: str, customer: str, line_id: str, scope: str):
    customer_order(order_id, customer)
    return _in_transaction(returns.request_return, order_id, line_id, scope, now_utc())


def receive_return(order_id: str, return_id: str, actor: str) -> OrderReturn:
    get_order(order_id)
    return _in_transaction(
        returns.receive_return, order_id, return_id, now_utc(), actor
    )


def resolve_parked(order_id: str, action: str, actor: str) -> Order:
    """Retry or cancel a parked order; the action goes to the audit trail."""
    get_order(order_id)

    def change(session, order_id):
        state = saga.lock_saga(session, order_id)
        if state.status != "parked":
            raise OrderNotParked(f"the order is {state.order.status}, not parked")
        if action == "retry":
            saga.retry_parked(session, state, now_utc(), actor)
            return
        returns.withdraw_from_fulfilment(
            session, state.order, saga_fulfilment.adapter_for
        )
        saga.cancel_parked(session, state, now_utc(), actor)

    _in_transaction(change, order_id)
    if action == "retry":
        submit_fulfilment(order_id)
    return get_order(order_id)


def configure_brand(actor: str = "platform", **fields: Any) -> OrderSettings:
    """Change the brand's order settings; who changed what goes to the audit log."""
    settings = saga.settings_for(db.session)
    for name, value in fields.items():
        setattr(settings, name, value)
    db.session.commit()
    log.info("order_settings_changed", actor=actor, fields=sorted(fields))
    return settings


# Fulfilment


def apply_fulfilment_callback(update_: dict[str, Any]) -> str:
    outcome = _with_retries(
        lambda: saga_fulfilment.apply_update(db.session, update_["order_id"], update_)
    )
    if outcome == "unknown_order":
        raise OrderNotFound(f"no order {update_['order_id']}")
    return outcome


def submit_fulfilment(order_id: str, adapter=None) -> int:
    return _with_retries(
        lambda: saga_fulfilment.submit_lines(db.session, order_id, adapter)
    )


def _with_retries(change, attempts: int = 5) -> Any:
    """Run and commit; a lost optimistic-lock race runs again on fresh rows."""
    for attempt in range(1, attempts + 1):
        try:
            result = change()
            db.session.commit()
            return result
        except (StaleDataError, OperationalError):
            db.session.rollback()
            if attempt == attempts:
                raise
        except BaseException:
            db.session.rollback()
            raise
    return None


# The clock


@dataclass
class TickReport:
    checked: int = 0
    failed: list[str] = field(default_factory=list)
    resubmitted: int = 0
    simulated: int = 0


def tick(now: datetime | None = None, adapter=None) -> TickReport:
    """Time out overdue steps, re-send unacknowledged commands, resubmit lines,
    and play the simulated fulfilment's next status updates.

    Each order is its own transaction, so one bad order does not hold up
    the others; run it every few seconds (``telecart order tick``).
    """
    now = now or now_utc()
    report = TickReport()
    due = db.session.scalars(
        select(OrderSaga.order_id).where(
            or_(
                (OrderSaga.status == "running") & (OrderSaga.deadline_at <= now),
                (OrderSaga.status != "parked") & (OrderSaga.next_retry_at <= now),
            )
        )
    ).all()
    db.session.rollback()

    for order_id in due:
        report.checked += 1
        try:
            _with_retries(lambda oid=order_id: _tick_one(oid, now))
        except Exception:  # noqa: BLE001 - one order's failure must not stop the rest
            log.exception("order_tick_failed", order_id=order_id)
            report.failed.append(order_id)

    for order_id in _awaiting_submission():
        report.resubmitted += submit_fulfilment(order_id, adapter)

    for status_update in fulfilment_simulator.due_updates(db.session, now):
        try:
            outcome = apply_fulfilment_callback(
                FulfilmentCallbackSchema().load(status_update)
            )
        except Exception:  # noqa: BLE001 - as above: the next tick tries again
            log.exception("simulated_update_failed", order_id=status_update["order_id"])
            report.failed.append(status_update["order_id"])
            continue
        report.simulated += outcome == "applied"
    return report


def _tick_one(order_id: str, now: datetime) -> None:
    state = saga.lock_saga(db.session, order_id)
    if state is not None:
        saga.tick(db.session, state, now)


def _awaiting_submission() -> list[str]:
    order_ids = db.session.scalars(
        select(OrderLine.order_id)
        .join(OrderSaga, OrderSaga.order_id == OrderLine.order_id)
        .where(
            OrderSaga.status == "running",
            OrderSaga.step == "fulfil",
            OrderLine.status.in_(("pending", "reserved")),
            OrderLine.fulfilment_attempts < saga_fulfilment.MAX_SUBMISSIONS,
        )
        .distinct()
    ).all()
    db.session.rollback()
    return list(order_ids)
