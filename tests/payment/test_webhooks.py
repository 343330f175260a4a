"""Provider webhooks: only genuine, fresh, own-brand events apply, once each."""

import json
import time

import pytest
from sqlalchemy import func, select

from services.payment.models import Dispute, db
from services.payment.webhooks import sign_sandbox
from shared.tenancy import tenant_scope
from tests.payment.harness import (
    HARBOR,
    NORTHWIND,
    back_office,
    emitted_events,
    host,
    serving,
)
from tests.support.stripe_standin import StripeStandIn


def dispute_event(event_id: str, dispute_id: str, stripe: bool = True) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.dispute.created" if stripe else "dispute.created",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": dispute_id,
                "object": "dispute",
                "amount": 4999,
                "currency": "gbp",
                "reason": "fraudulent",
                "status": "needs_response",
                "payment_intent": "pi_unknown",
            }
        },
    }


def post_stripe(client, tenant, payload: bytes, header: str):
    return client.post(
        "/api/payment/webhooks/stripe",
        data=payload,
        content_type="application/json",
        headers={"Host": host(tenant), "Stripe-Signature": header},
    )


def post_sandbox(client, tenant, payload: bytes, header: str):
    return client.post(
        "/api/payment/webhooks/sandbox",
        data=payload,
        content_type="application/json",
        headers={"Host": host(tenant), "Sandbox-Signature": header},
    )


def disputes(app, tenant, dispute_id: str) -> tuple[int, int]:
    """Disputes recorded and ``payment.dispute_opened`` events for one dispute."""
    with app.app_context(), tenant_scope(tenant):
        rows = db.session.scalar(
            select(func.count(Dispute.id)).where(Dispute.dispute_id == dispute_id)
        )
        db.session.remove()
    events = emitted_events(app, tenant, "payment.dispute_opened")
    return rows, sum(payload["dispute_id"] == dispute_id for _, payload in events)


def test_a_genuine_stripe_dispute_applies_once_and_a_duplicate_changes_nothing(
    payment,
):
    app, accounts = payment
    client = app.test_client()
    payload, header = StripeStandIn.signed_event(
        dispute_event("evt_1", "dp_1"), accounts["northwind"].stripe_secret
    )

    first = post_stripe(client, NORTHWIND, payload, header)
    again = post_stripe(client, NORTHWIND, payload, header)

    recorded, emitted = disputes(app, NORTHWIND, "dp_1")
    print(f"stripe dispute delivered twice: {recorded} dispute, {emitted} event")
    assert first.json == {"status": "applied", "event_id": "evt_1"}
    assert again.json == {"status": "duplicate", "event_id": "evt_1"}
    assert (recorded, emitted) == (1, 1)


def test_forged_replayed_future_dated_and_cross_brand_stripe_webhooks_are_refused(
    payment,
):
    app, accounts = payment
    client = app.test_client()
    northwind_secret = accounts["northwind"].stripe_secret
    now = int(time.time())
    attempts = {
        "forged": StripeStandIn.signed_event(
            dispute_event("evt_f", "dp_f"), "whsec_guessed"
        ),
        "replayed": StripeStandIn.signed_event(
            dispute_event("evt_r", "dp_r"), northwind_secret, timestamp=now - 3600
        ),
        "future-dated": StripeStandIn.signed_event(
            dispute_event("evt_u", "dp_u"), northwind_secret, timestamp=now + 3600
        ),
    }
    tampered_payload, tampered_header = StripeStandIn.signed_event(
        dispute_event("evt_t", "dp_t"), northwind_secret
    )
    tampered_payload = tampered_payload.replace(b"4999", b"9999")

    answers = {
        name: post_stripe(client, NORTHWIND, payload, header)
        for name, (payload, header) in attempts.items()
    }
    answers["tampered"] = post_stripe(
        client, NORTHWIND, tampered_payload, tampered_header
    )
    cross_payload, cross_header = StripeStandIn.signed_event(
        dispute_event("evt_x", "dp_x"), northwind_secret
    )
    answers["cross-brand"] = post_stripe(client, HARBOR, cross_payload, cross_header)
    answers["unsigned"] = post_stripe(client, NORTHWIND, cross_payload, "")

    refused = [name for name, answer in answers.items() if answer.status_code == 400]
    print(f"malicious stripe webhooks: {len(refused)} of {len(answers)} refused")
    assert refused == list(answers)
    for dispute_id in ("dp_f", "dp_r", "dp_u", "dp_t", "dp_x"):
        assert disputes(app, NORTHWIND, dispute_id)[0] == 0
        assert disputes(app, HARBOR, dispute_id)[0] == 0


@pytest.mark.parametrize(
    ("case", "secret_of", "offset"),
    [
        ("forged", None, 0),
        ("replayed", "northwind", -3600),
        ("future-dated", "northwind", 3600),
        ("cross-brand", "harbor", 0),
    ],
)
def test_sandbox_webhooks_that_are_not_genuine_fresh_and_own_brand_are_refused(
    payment, case, secret_of, offset
):
    app, accounts = payment
    event = dispute_event(f"evt_s_{case}", f"dps_{case}", stripe=False)
    payload = json.dumps(event).encode()
    secret = accounts[secret_of].sandbox_secret if secret_of else "sbx_guess"
    header = sign_sandbox(payload, secret, int(time.time()) + offset)

    answer = post_sandbox(app.test_client(), NORTHWIND, payload, header)

    assert answer.status_code == 400
    assert answer.json["type"].endswith("/webhook-refused")
    assert disputes(app, NORTHWIND, f"dps_{case}")[0] == 0


def test_a_genuine_sandbox_dispute_applies_once(payment):
    app, accounts = payment
    payload = json.dumps(dispute_event("evt_s_ok", "dps_ok", stripe=False)).encode()
    header = sign_sandbox(payload, accounts["harbor"].sandbox_secret)
    client = app.test_client()

    answers = [post_sandbox(client, HARBOR, payload, header) for _ in range(3)]

    assert [a.json["status"] for a in answers] == ["applied", "duplicate", "duplicate"]
    assert disputes(app, HARBOR, "dps_ok") == (1, 1)
    assert disputes(app, NORTHWIND, "dps_ok") == (0, 0)


def test_a_lost_dispute_delivered_by_the_stand_in_books_a_chargeback(
    payment, stripe_standin
):
    app, accounts = payment
    client = app.test_client()
    paid = client.post(
        "/api/payment/authorisations",
        json={
            "order_id": "o-chargeback",
            "amount": 2500,
            "currency": "GBP",
            "provider": "stripe",
            "payment_token": "pm_card_visa",
            "customer": {"id": "cust-cb"},
        },
        headers=back_office(NORTHWIND, "cb-1"),
    ).json
    opened = dispute_event("evt_cb_1", "dp_cb")
    opened["data"]["object"].update(
        payment_intent=paid["provider_reference"], amount=2500
    )
    closed = {
        **opened,
        "id": "evt_cb_2",
        "type": "charge.dispute.closed",
        "data": {"object": {**opened["data"]["object"], "status": "lost"}},
    }
    secret = accounts["northwind"].stripe_secret

    with serving(app) as base:
        url = base + "/api/payment/webhooks/stripe"
        statuses = [
            stripe_standin.deliver(url, event, secret, host(NORTHWIND))
            for event in (opened, closed, closed)
        ]

    ledger = client.get(
        f"/api/payment/payments/{paid['id']}", headers=back_office(NORTHWIND)
    ).json["ledger"]
    assert statuses == [200, 200, 200]
    assert [(e["kind"], e["amount"]) for e in ledger] == [
        ("authorisation", 2500),
        ("chargeback", 2500),
    ]
    types = [
        event_type
        for event_type, payload in emitted_events(app, NORTHWIND)
        if payload.get("dispute_id") == "dp_cb"
    ]
    assert sorted(types) == ["payment.dispute_closed", "payment.dispute_opened"]


def test_an_authorisation_the_provider_cancelled_is_voided_once(
    payment, stripe_standin
):
    app, accounts = payment
    client = app.test_client()
    paid = client.post(
        "/api/payment/authorisations",
        json={
            "order_id": "o-expired",
            "amount": 1800,
            "currency": "GBP",
            "provider": "stripe",
            "payment_token": "pm_card_visa",
            "customer": {"id": "cust-exp"},
        },
        headers=back_office(NORTHWIND, "exp-1"),
    ).json
    event = {
        "id": "evt_pi_cancel",
        "object": "event",
        "type": "payment_intent.canceled",
        "data": {
            "object": {
                "id": paid["provider_reference"],
                "object": "payment_intent",
                "status": "canceled",
            }
        },
    }
    secret = accounts["northwind"].stripe_secret

    with serving(app) as base:
        url = base + "/api/payment/webhooks/stripe"
        statuses = [
            stripe_standin.deliver(url, event, secret, host(NORTHWIND))
            for _ in range(2)
        ]

    after = client.get(
        f"/api/payment/payments/{paid['id']}", headers=back_office(NORTHWIND)
    ).json
    assert statuses == [200, 200]
    assert after["status"] == "voided"
    assert [e["kind"] for e in after["ledger"]] == ["authorisation", "void"]
    assert [
        p["order_id"] for _, p in emitted_events(app, NORTHWIND, "payment.voided")
    ] == ["o-expired"]
