"""Fraud screening before authorisation: rules, score, decision, brand thresholds."""

import itertools

import pytest

from services.payment.fraud import FraudSignals, FraudThresholds, screen
from services.payment.service import configure_brand_payments
from shared.tenancy import tenant_scope
from tests.payment.harness import HARBOR, NORTHWIND, checkout

_keys = itertools.count()


def authorise(app, tenant, order_id: str, amount: int = 2000, **customer_extra):
    customer = {"id": "cust-f", "email": "ada@example.com", **customer_extra}
    body = {
        "order_id": order_id,
        "amount": amount,
        "currency": "GBP",
        "provider": "sandbox",
        "payment_token": "tok_approve",
        "customer": customer,
    }
    for name in ("billing_country", "delivery_country", "address_key"):
        if name in customer:
            body[name] = customer.pop(name)
    return app.test_client().post(
        "/api/payment/authorisations",
        json=body,
        headers=checkout(tenant, customer["id"], f"f-{next(_keys)}"),
    )


def set_fraud(app, tenant, **thresholds):
    with app.app_context(), tenant_scope(tenant):
        configure_brand_payments(fraud=thresholds)


def test_each_rule_adds_its_reason_and_the_score_picks_the_decision():
    thresholds = FraudThresholds(review_score=40, decline_score=70)
    clean = FraudSignals(customer_id="c", amount=1000, email="a@example.com")
    risky = FraudSignals(
        customer_id="c",
        amount=500_000,
        email="a@mailinator.com",
        billing_country="GB",
        delivery_country="NG",
    )

    assert screen(clean, thresholds, {}).decision == "approve"
    verdict = screen(risky, thresholds, {"device": 5})
    assert verdict.decision == "decline"
    assert verdict.score == 100
    assert verdict.reasons == [
        "velocity_device",
        "amount_over_threshold",
        "country_mismatch",
        "disposable_email",
    ]


def test_a_disposable_email_with_mismatched_countries_goes_to_review(payment):
    app, _ = payment

    answer = authorise(
        app,
        NORTHWIND,
        "o-f1",
        email="x@yopmail.com",
        billing_country="GB",
        delivery_country="FR",
    )

    assert answer.status_code == 201
    assert answer.json["fraud_decision"] == "review"
    assert answer.json["fraud_reasons"] == ["country_mismatch", "disposable_email"]


def test_velocity_on_one_device_declines_before_the_provider_is_called(payment):
    app, accounts = payment
    set_fraud(app, NORTHWIND, velocity_limit=2, decline_score=50)

    answers = [
        authorise(app, NORTHWIND, f"o-f2-{i}", device_id="dev-1", address_key="a1")
        for i in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 402]
    assert answers[2].json["type"].endswith("/fraud-declined")
    assert "velocity_device" in answers[2].json["reasons"]
    assert accounts["northwind"].gateway.charge_count("o-f2-2") == 0
    set_fraud(app, NORTHWIND, velocity_limit=100)


@pytest.mark.parametrize(
    ("tenant", "threshold", "reasons"),
    [(NORTHWIND, 150_000, []), (HARBOR, 5_000, ["amount_over_threshold"])],
)
def test_the_amount_threshold_is_each_brands_own(payment, tenant, threshold, reasons):
    app, _ = payment
    set_fraud(app, tenant, amount_threshold=threshold, velocity_limit=100)

    answer = authorise(
        app,
        tenant,
        f"o-f3-{tenant.slug}",
        amount=10_000,
        email=f"{tenant.slug}@example.com",
    )

    assert answer.status_code == 201
    assert answer.json["fraud_reasons"] == reasons
