"""The order saga's commands drive payment; a duplicate delivery changes nothing.

The payloads are the order service's contract (services/order/SAGA.md). The
registered handlers are called as the event bus calls them (inside the
envelope's tenant and an app context, the caller commits); every command is
answered with an event echoing its ``idempotency_key``.
"""

from types import SimpleNamespace

from sqlalchemy import func, select

from services.payment import events
from services.payment.models import Payment, Subscription, db
from shared.tenancy import tenant_scope
from tests.payment.harness import NORTHWIND, emitted_events


def deliver(app, event_type: str, payload: dict, times: int = 1) -> None:
    envelope = SimpleNamespace(type=event_type, payload=payload)
    for _ in range(times):
        with app.app_context(), tenant_scope(NORTHWIND):
            for handler in events.handlers.for_type(event_type):
                handler(envelope, db.session)
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
        "order_number": "NW-100001",
        "attempt": 1,
        "amount": 3500,
        "currency": "GBP",
        "payment_method": {"provider": "sandbox", "token": token},
        "idempotency_key": f"{order_id}:auth:1",
        "customer": {"id": "cust-ev", "email": "ev@example.com"},
        "mandate": {"monthly_amount": 2700, "currency": "GBP"},
    }


def answers(app, order_id: str) -> list[tuple[str, str | None]]:
    return [
        (kind, payload.get("idempotency_key"))
        for kind, payload in emitted_events(app, NORTHWIND)
        if payload.get("order_id") == order_id
    ]


def test_a_payment_request_delivered_twice_authorises_once_then_captures(payment):
    app, accounts = payment

    capture = {
        "order_id": "o-ev-1",
        "order_number": "NW-100001",
        "attempt": 1,
        "authorisation_id": None,
        "amount": 3500,
        "currency": "GBP",
        "idempotency_key": "o-ev-1:capture",
    }

    deliver(app, "order.payment_requested", requested("o-ev-1"), times=2)
    deliver(app, "order.capture_requested", capture, times=2)

    assert accounts["northwind"].gateway.charge_count("o-ev-1") == 1
    assert payment_of(app, "o-ev-1").status == "captured"
    assert answers(app, "o-ev-1") == [
        ("payment.authorised", "o-ev-1:auth:1"),
        ("payment.authorised", "o-ev-1:auth:1"),  # the repeat is answered again
        ("payment.captured", "o-ev-1:capture"),
        ("payment.captured", "o-ev-1:capture"),
    ]


def test_a_declined_request_is_recorded_not_retried(payment):
    app, _ = payment

    deliver(app, "order.payment_requested", requested("o-ev-2", "tok_decline"))

    assert payment_of(app, "o-ev-2").status == "declined"
    [(kind, declined)] = [
        e for e in emitted_events(app, NORTHWIND) if e[1]["order_id"] == "o-ev-2"
    ]
    assert kind == "payment.declined"
    assert (declined["reason"], declined["idempotency_key"]) == (
        "card_declined",
        "o-ev-2:auth:1",
    )


def void_requested(order_id: str) -> dict:
    return {
        "order_id": order_id,
        "order_number": "NW-100003",
        "attempt": 1,
        "authorisation_id": None,
        "authorisation_key": f"{order_id}:auth:1",
        "idempotency_key": f"{order_id}:void:1",
        "reason": "out_of_stock",
    }


def test_a_void_request_voids_by_authorisation_key_and_answers_each_repeat(payment):
    app, _ = payment
    deliver(app, "order.payment_requested", requested("o-ev-3"))

    deliver(app, "order.void_requested", void_requested("o-ev-3"), times=2)

    assert payment_of(app, "o-ev-3").status == "voided"
    voided = [
        (p["outcome"], p["idempotency_key"])
        for kind, p in emitted_events(app, NORTHWIND, "payment.voided")
        if p["order_id"] == "o-ev-3"
    ]
    assert voided == [("voided", "o-ev-3:void:1"), ("voided", "o-ev-3:void:1")]


def test_a_void_for_an_authorisation_never_seen_answers_not_found(payment):
    app, _ = payment

    deliver(app, "order.void_requested", void_requested("o-ev-5"))

    assert payment_of(app, "o-ev-5") is None
    [(_, answer)] = emitted_events(app, NORTHWIND, "payment.voided")[-1:]
    assert (answer["order_id"], answer["outcome"]) == ("o-ev-5", "not_found")


def test_an_activated_line_starts_one_subscription_however_often_delivered(payment):
    app, _ = payment
    line = {
        "order_id": "o-ev-4",
        "line_id": "line-1",
        "order_number": "NW-100004",
        "customer_id": "cust-ev",
        "payment_method": {"provider": "sandbox", "token": "tok_approve"},
        "currency": "GBP",
        "msisdn": "07700900444",
        "monthly_amount": 2700,
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


def test_a_capture_of_a_voided_authorisation_is_answered_capture_failed(payment):
    app, accounts = payment
    deliver(app, "order.payment_requested", requested("o-ev-6"))
    deliver(app, "order.void_requested", void_requested("o-ev-6"))
    capture = {
        "order_id": "o-ev-6",
        "order_number": "NW-100006",
        "attempt": 1,
        "authorisation_id": payment_of(app, "o-ev-6").id,
        "amount": 3500,
        "currency": "GBP",
        "idempotency_key": "o-ev-6:capture",
    }

    deliver(app, "order.capture_requested", capture)

    [(_, failed)] = emitted_events(app, NORTHWIND, "payment.capture_failed")
    assert (failed["order_id"], failed["idempotency_key"], failed["reason"]) == (
        "o-ev-6",
        "o-ev-6:capture",
        "payment_voided",
    )
    assert payment_of(app, "o-ev-6").status == "voided"


def test_a_provider_time_out_during_a_requested_authorisation_charges_once(payment):
    app, accounts = payment

    deliver(app, "order.payment_requested", requested("o-ev-7", "tok_timeout"))
    deliver(app, "order.void_requested", void_requested("o-ev-7"))

    assert accounts["northwind"].gateway.charge_count("o-ev-7") == 1
    assert [kind for kind, _ in answers(app, "o-ev-7")] == [
        "payment.authorised",
        "payment.voided",
    ]
    assert payment_of(app, "o-ev-7").status == "voided"  # nothing left open
