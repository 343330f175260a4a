"""The order saga's events drive payment; a duplicate delivery changes nothing.

The handlers are called as the event bus will call them (inside the
envelope's tenant and an app context) with an envelope carrying the payload.
"""

from types import SimpleNamespace

from sqlalchemy import func, select

from services.payment import events
from services.payment.models import Payment, Subscription, db
from shared.tenancy import tenant_scope
from tests.payment.harness import NORTHWIND


def deliver(app, event_type: str, payload: dict, times: int = 1) -> None:
    envelope = SimpleNamespace(type=event_type, payload=payload)
    for _ in range(times):
        with app.app_context(), tenant_scope(NORTHWIND):
            events.HANDLERS[event_type](envelope, db.session)
            db.session.commit()
            db.session.remove()


def payment_of(app, order_id: str) -> Payment:
    with app.app_context(), tenant_scope(NORTHWIND):
        payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        db.session.remove()
    return payment


def requested(order_id: str, token: str = "tok_approve") -> dict:
    return {
        "order_id": order_id,
        "amount": 3500,
        "currency": "GBP",
        "provider": "sandbox",
        "payment_token": token,
        "customer": {"id": "cust-ev"},
    }


def test_a_payment_request_delivered_twice_authorises_once_then_captures(payment):
    app, accounts = payment

    deliver(app, "order.payment_requested", requested("o-ev-1"), times=2)
    deliver(app, "order.capture_requested", {"order_id": "o-ev-1"}, times=2)

    assert accounts["northwind"].gateway.charge_count("o-ev-1") == 1
    assert payment_of(app, "o-ev-1").status == "captured"


def test_a_declined_request_is_recorded_not_retried(payment):
    app, _ = payment

    deliver(app, "order.payment_requested", requested("o-ev-2", "tok_decline"))

    assert payment_of(app, "o-ev-2").status == "declined"


def test_a_cancelled_order_has_its_authorisation_voided(payment):
    app, _ = payment
    deliver(app, "order.payment_requested", requested("o-ev-3"))

    deliver(app, "order.cancelled", {"order_id": "o-ev-3"}, times=2)

    assert payment_of(app, "o-ev-3").status == "voided"


def test_an_activated_line_starts_one_subscription_however_often_delivered(payment):
    app, _ = payment
    line = {
        "order_id": "o-ev-4",
        "line_id": "line-1",
        "customer_id": "cust-ev",
        "provider": "sandbox",
        "token": "tok_approve",
        "currency": "GBP",
        "activated_on": "2027-02-10",
        "components": [
            {
                "code": "plan-unlimited",
                "kind": "plan",
                "amount": 2700,
                "term_months": 24,
            }
        ],
    }

    deliver(app, "order.line_activated", line, times=3)

    with app.app_context(), tenant_scope(NORTHWIND):
        count = db.session.scalar(
            select(func.count(Subscription.id)).where(Subscription.order_id == "o-ev-4")
        )
        first = db.session.scalar(
            select(Subscription.first_billing_on).where(
                Subscription.order_id == "o-ev-4"
            )
        )
        db.session.remove()
    assert count == 1
    assert first.isoformat() == "2027-03-01"
