"""Capture, void and refund through each provider, with every movement ledgered."""

import itertools

import pytest
from sqlalchemy import select, text

from services.payment.gateways import configure_provider
from services.payment.models import LedgerEntry, db
from shared.tenancy import tenant_scope
from tests.payment.harness import HARBOR, NORTHWIND, back_office, checkout

TOKENS = {"sandbox": "tok_approve", "stripe": "pm_card_visa"}
_keys = itertools.count()


class Shopper:
    """Sends requests as one brand's checkout would, a fresh key each time."""

    def __init__(self, app, tenant) -> None:
        self.client = app.test_client()
        self.tenant = tenant

    def post(self, path: str, body: dict | None = None):
        """As the customer the body names; else as the brand's back office."""
        body = body or {}
        customer = (body.get("customer") or {}).get("id") or body.get("customer_id")
        key = f"k-{next(_keys)}"
        return self.client.post(
            "/api/payment" + path,
            json=body,
            headers=checkout(self.tenant, customer, key)
            if customer
            else back_office(self.tenant, key),
        )

    def authorise(self, order_id: str, provider: str, token: str, **extra):
        body = {
            "order_id": order_id,
            "amount": 10_000,
            "currency": "EUR" if provider == "invoice" else "GBP",
            "provider": provider,
            "customer": {"id": extra.pop("customer_id", "cust-7")},
            "payment_token": token,
            **extra,
        }
        return self.post("/authorisations", body)


@pytest.mark.parametrize("provider", ["sandbox", "stripe"])
def test_a_partial_capture_then_partial_and_full_refunds_are_ledgered(
    payment, provider
):
    app, _ = payment
    shopper = Shopper(app, NORTHWIND)
    payment_id = shopper.authorise(f"o-cr-{provider}", provider, TOKENS[provider]).json[
        "id"
    ]

    captured = shopper.post(f"/payments/{payment_id}/captures", {"amount": 8000})
    partly = shopper.post(f"/payments/{payment_id}/refunds", {"amount": 3000})
    too_much = shopper.post(f"/payments/{payment_id}/refunds", {"amount": 6000})
    rest = shopper.post(f"/payments/{payment_id}/refunds", {})

    assert captured.json["status"] == "partially_captured"
    assert partly.json["status"] == "partially_refunded"
    assert too_much.status_code == 422
    assert too_much.json["errors"][0]["field"] == "amount"
    assert rest.json["status"] == "refunded"
    assert rest.json["refunded_amount"] == 8000
    assert [(e["kind"], e["amount"]) for e in rest.json["ledger"]] == [
        ("authorisation", 10_000),
        ("capture", 8000),
        ("refund", 3000),
        ("refund", 5000),
    ]


@pytest.mark.parametrize("provider", ["sandbox", "stripe"])
def test_a_void_releases_an_authorisation_and_cannot_be_captured_after(
    payment, provider
):
    app, _ = payment
    shopper = Shopper(app, NORTHWIND)
    payment_id = shopper.authorise(f"o-v-{provider}", provider, TOKENS[provider]).json[
        "id"
    ]

    voided = shopper.post(f"/payments/{payment_id}/voids")
    capture = shopper.post(f"/payments/{payment_id}/captures", {})

    assert voided.json["status"] == "voided"
    assert capture.status_code == 409
    assert capture.json["type"].endswith("/payment-state-conflict")


@pytest.mark.parametrize(
    ("provider", "token", "status", "kind", "code"),
    [
        ("sandbox", "tok_decline", 402, "payment-declined", "card_declined"),
        (
            "sandbox",
            "tok_insufficient_funds",
            402,
            "payment-declined",
            "insufficient_funds",
        ),
        ("sandbox", "tok_3ds_required", 402, "authentication-required", None),
        (
            "stripe",
            "pm_card_chargeDeclinedInsufficientFunds",
            402,
            "payment-declined",
            "insufficient_funds",
        ),
        (
            "stripe",
            "pm_card_authenticationRequired",
            402,
            "authentication-required",
            None,
        ),
    ],
)
def test_declines_and_3ds_answer_with_a_problem_and_charge_nothing(
    payment, provider, token, status, kind, code
):
    app, _ = payment

    answer = Shopper(app, NORTHWIND).authorise(f"o-d-{token}", provider, token)

    assert answer.status_code == status
    assert answer.json["type"].endswith(f"/{kind}")
    if code:
        assert answer.json["decline_code"] == code


def test_pay_by_invoice_stays_within_the_business_customers_credit_limit(payment):
    app, _ = payment
    shopper = Shopper(app, HARBOR)

    first = shopper.authorise(
        "o-inv-1", "invoice", "po-1", customer_id="biz-1", amount=60_000
    )
    second = shopper.authorise(
        "o-inv-2", "invoice", "po-2", customer_id="biz-1", amount=50_000
    )
    stranger = shopper.authorise(
        "o-inv-3", "invoice", "po-3", customer_id="biz-9", amount=100
    )
    shopper.post(f"/payments/{first.json['id']}/voids")
    after_void = shopper.authorise(
        "o-inv-4", "invoice", "po-4", customer_id="biz-1", amount=50_000
    )

    assert first.status_code == 201
    assert second.status_code == 402
    assert second.json["decline_code"] == "credit_limit_exceeded"
    assert stranger.json["decline_code"] == "no_credit_account"
    assert after_void.status_code == 201


def test_a_provider_the_brand_has_not_enabled_is_refused(payment):
    app, _ = payment

    answer = Shopper(app, NORTHWIND).authorise("o-x", "invoice", "po-1")
    with app.app_context(), tenant_scope(NORTHWIND):
        configure_provider("invoice", {}, enabled=False)
        db.session.commit()
        db.session.remove()
    refused = Shopper(app, NORTHWIND).authorise("o-x2", "invoice", "po-1")

    assert answer.status_code == 402
    assert refused.status_code == 422
    assert refused.json["type"].endswith("/provider-not-enabled")


def test_a_payment_method_keeps_the_token_brand_last4_and_expiry_only(payment):
    app, accounts = payment
    shopper = Shopper(app, NORTHWIND)

    saved = shopper.post(
        "/payment-methods",
        {
            "customer_id": "cust-pm",
            "provider": "sandbox",
            "token": "tok_approve",
            "card_brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2030,
        },
    )
    paid = shopper.post(
        "/authorisations",
        {
            "order_id": "o-pm",
            "amount": 500,
            "currency": "GBP",
            "provider": "sandbox",
            "payment_method_id": saved.json["id"],
            "customer": {"id": "cust-pm"},
        },
    )
    other_customer = shopper.post(
        "/authorisations",
        {
            "order_id": "o-pm-2",
            "amount": 500,
            "currency": "GBP",
            "provider": "sandbox",
            "payment_method_id": saved.json["id"],
            "customer": {"id": "cust-thief"},
        },
    )

    assert saved.status_code == 201
    assert set(saved.json) == {
        "id",
        "customer_id",
        "provider",
        "card_brand",
        "last4",
        "exp_month",
        "exp_year",
    }
    assert paid.status_code == 201
    assert other_customer.status_code == 422
    assert other_customer.json["errors"][0]["field"] == "payment_method_id"


def test_the_ledger_refuses_updates_and_deletes_in_the_database(payment):
    app, _ = payment
    Shopper(app, NORTHWIND).authorise("o-ledger", "sandbox", "tok_approve")

    with app.app_context(), tenant_scope(NORTHWIND):
        entry = db.session.scalars(select(LedgerEntry)).first()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(
                text(
                    f'UPDATE "{NORTHWIND.schema}".ledger_entries SET amount = 1 '
                    "WHERE id = :id"
                )
                .bindparams(id=entry.id)
                .execution_options(raw_sql_reason="test: the trigger refuses it"),
            )
        db.session.rollback()
        entry.amount = 1
        with pytest.raises(Exception, match="never changed"):
            db.session.commit()
        db.session.rollback()
        db.session.remove()


def test_a_refund_that_times_out_and_is_retried_refunds_once(payment, stripe_standin):
    app, _ = payment
    shopper = Shopper(app, NORTHWIND)
    paid = shopper.authorise("o-refund-timeout", "stripe", "pm_card_visa").json
    shopper.post(f"/payments/{paid['id']}/captures", {})
    headers = back_office(NORTHWIND, "refund-timeout-1")
    stripe_standin.time_out_next(1, delay_s=1.5)

    first = shopper.client.post(
        f"/api/payment/payments/{paid['id']}/refunds",
        json={"amount": 400},
        headers=headers,
    )
    retry = shopper.client.post(
        f"/api/payment/payments/{paid['id']}/refunds",
        json={"amount": 400},
        headers=headers,
    )

    refunds = [
        r
        for r in stripe_standin.refunds.values()
        if r["payment_intent"] == paid["provider_reference"]
    ]
    print(f"refund timed out, then retried: {len(refunds)} refund")
    assert (first.status_code, retry.status_code) == (504, 200)
    assert retry.json["refunded_amount"] == 400
    assert [r["amount"] for r in refunds] == [400]


def test_one_brand_cannot_read_or_move_another_brands_payment(payment):
    app, _ = payment
    paid = Shopper(app, NORTHWIND).authorise("o-iso", "sandbox", "tok_approve").json
    harbor = Shopper(app, HARBOR)

    read = harbor.client.get(
        f"/api/payment/payments/{paid['id']}", headers=back_office(HARBOR)
    )
    capture = harbor.post(f"/payments/{paid['id']}/captures", {})
    refund = harbor.post(f"/payments/{paid['id']}/voids")

    assert (read.status_code, capture.status_code, refund.status_code) == (404,) * 3
    mine = Shopper(app, NORTHWIND).client.get(
        f"/api/payment/payments/{paid['id']}", headers=checkout(NORTHWIND, "cust-7")
    )
    assert mine.json["status"] == "authorised"


@pytest.mark.parametrize(
    ("provider", "token"),
    [("sandbox", "tok_3ds_required"), ("stripe", "pm_card_authenticationRequired")],
)
def test_a_3ds_payment_is_authorised_once_the_shopper_has_passed_3ds(
    payment, stripe_standin, provider, token
):
    app, accounts = payment
    shopper = Shopper(app, NORTHWIND)
    order_id = f"o-3ds-{provider}"

    asked = shopper.authorise(order_id, provider, token)
    results = f"/payments/{asked.json['payment_id']}/authentication-results"
    too_early = shopper.post(results)
    if provider == "sandbox":
        accounts["northwind"].gateway.authenticate(asked.json["provider_reference"])
    else:
        stripe_standin.authenticate(asked.json["provider_reference"])
    passed = shopper.post(results)
    again = shopper.post(results)

    charges = (
        accounts["northwind"].gateway.charge_count(order_id)
        if provider == "sandbox"
        else stripe_standin.charges_for(order_id)
    )
    assert asked.status_code == 402
    assert too_early.json["type"].endswith("/authentication-required")
    assert passed.status_code == 200
    assert passed.json["status"] == "authorised"
    assert again.status_code == 409
    assert charges == 1
