"""Who may call the payment API: the paying customer, the brand's staff, nobody else.

Tokens are RS256 access tokens verified by ``shared.auth``; webhooks carry a
provider signature instead (see test_webhooks.py, which sends no token).
"""

import itertools

from tests.payment.harness import HARBOR, NORTHWIND, back_office, checkout, host
from tests.support.tokens import bearer, mint

_keys = itertools.count()


def authorisation(order_id: str, customer_id: str) -> dict:
    return {
        "order_id": order_id,
        "amount": 1500,
        "currency": "GBP",
        "provider": "sandbox",
        "customer": {"id": customer_id},
        "payment_token": "tok_approve",
    }


def key() -> str:
    return f"who-{next(_keys)}"


def test_a_customer_reads_their_own_payment_and_no_one_elses(payment):
    app, _ = payment
    client = app.test_client()
    paid = client.post(
        "/api/payment/authorisations",
        json=authorisation("o-who-1", "cust-ana"),
        headers=checkout(NORTHWIND, "cust-ana", key()),
    )
    url = f"/api/payment/payments/{paid.json['id']}"

    own = client.get(url, headers=checkout(NORTHWIND, "cust-ana"))
    someone_else = client.get(url, headers=checkout(NORTHWIND, "cust-bob"))
    staff = client.get(url, headers=back_office(NORTHWIND))
    guest = client.get(url, headers={"Host": host(NORTHWIND)})
    other_brand_staff = client.get(
        url,
        headers={
            "Host": host(NORTHWIND),
            **bearer(mint("payment", HARBOR, ["tenant_admin"])),
        },
    )

    assert paid.status_code == 201, paid.json
    assert own.status_code == 200 and own.json["id"] == paid.json["id"]
    assert someone_else.status_code == 404  # not even told that it exists
    assert staff.status_code == 200
    assert guest.status_code == 401
    assert other_brand_staff.status_code == 403


def test_a_customer_pays_only_as_themselves_and_cannot_replay_anothers_key(payment):
    app, accounts = payment
    client = app.test_client()
    shared_key = key()
    first = client.post(
        "/api/payment/authorisations",
        json=authorisation("o-who-2", "cust-ana"),
        headers=checkout(NORTHWIND, "cust-ana", shared_key),
    )

    as_someone_else = client.post(
        "/api/payment/authorisations",
        json=authorisation("o-who-3", "cust-ana"),
        headers=checkout(NORTHWIND, "cust-bob", key()),
    )
    replayed = client.post(
        "/api/payment/authorisations",
        json=authorisation("o-who-2", "cust-ana"),
        headers=checkout(NORTHWIND, "cust-bob", shared_key),
    )

    assert first.status_code == 201
    for refused in (as_someone_else, replayed):
        assert refused.status_code == 403
        assert refused.json["type"].endswith("/not-the-customer")
        assert refused.json["errors"][0]["field"] == "customer.id"
    assert accounts["northwind"].gateway.charge_count("o-who-3") == 0


def test_captures_voids_and_refunds_are_for_staff_only(payment):
    app, _ = payment
    client = app.test_client()
    paid = client.post(
        "/api/payment/authorisations",
        json=authorisation("o-who-4", "cust-ana"),
        headers=checkout(NORTHWIND, "cust-ana", key()),
    ).json
    base = f"/api/payment/payments/{paid['id']}"

    answers = {
        action: client.post(
            f"{base}/{action}", json={}, headers=checkout(NORTHWIND, "cust-ana", key())
        ).status_code
        for action in ("captures", "voids", "refunds")
    }
    subscribe = client.post(
        "/api/payment/subscriptions",
        json={},
        headers=checkout(NORTHWIND, "cust-ana", key()),
    )
    captured = client.post(
        f"{base}/captures", json={}, headers=back_office(NORTHWIND, key())
    )

    print(
        f"\ncustomer on staff actions: {answers}, "
        f"subscriptions: {subscribe.status_code}"
    )
    assert answers == {"captures": 403, "voids": 403, "refunds": 403}
    assert subscribe.status_code == 403
    assert captured.status_code == 200 and captured.json["status"] == "captured"


def test_an_expired_or_foreign_audience_token_is_refused(payment):
    app, _ = payment
    client = app.test_client()
    tokens = {
        "expired": mint("payment", NORTHWIND, ["customer"], "cust-ana", ttl_s=-120),
        "for the basket": mint("basket", NORTHWIND, ["customer"], "cust-ana"),
    }

    answers = {
        name: client.post(
            "/api/payment/authorisations",
            json=authorisation("o-who-5", "cust-ana"),
            headers={
                "Host": host(NORTHWIND),
                "Idempotency-Key": key(),
                **bearer(token),
            },
        ).status_code
        for name, token in tokens.items()
    }

    assert answers == {"expired": 401, "for the basket": 401}
