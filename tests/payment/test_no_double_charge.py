"""The same authorisation, however often and however it fails, charges once."""

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.payment.harness import NORTHWIND, checkout, serving

AUTHORISE = "/api/payment/authorisations"


def authorisation(order_id: str, provider: str, token: str, amount: int = 4999):
    return {
        "order_id": order_id,
        "amount": amount,
        "currency": "GBP",
        "provider": provider,
        "payment_token": token,
        "customer": {"id": "cust-1", "email": "ada@example.com"},
    }


def send_concurrently(base: str, bodies_and_keys: list[tuple[dict, str]]):
    def send(item):
        body, key = item
        return requests.post(
            base + AUTHORISE,
            json=body,
            headers=checkout(NORTHWIND, "cust-1", key),
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=len(bodies_and_keys)) as pool:
        return list(pool.map(send, bodies_and_keys))


def test_ten_concurrent_authorisations_with_one_key_charge_the_sandbox_once(payment):
    app, accounts = payment
    body = authorisation("order-1001", "sandbox", "tok_approve")

    with serving(app) as base:
        answers = send_concurrently(base, [(body, "checkout-1001")] * 10)

    charges = accounts["northwind"].gateway.charge_count(body["order_id"])
    print(f"same idempotency key x 10: {charges} charge")
    assert [a.status_code for a in answers] == [201] * 10
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9
    assert charges == 1


def test_ten_concurrent_authorisations_with_one_key_charge_stripe_once(
    payment, stripe_standin
):
    app, _ = payment
    body = authorisation("order-1002", "stripe", "pm_card_visa")

    with serving(app) as base:
        answers = send_concurrently(base, [(body, "checkout-1002")] * 10)

    charges = stripe_standin.charges_for(body["order_id"])
    print(f"same idempotency key x 10 (stripe): {charges} charge")
    assert [a.status_code for a in answers] == [201] * 10
    assert charges == 1


def test_one_order_attempt_sent_with_ten_different_keys_still_charges_once(payment):
    app, accounts = payment
    body = authorisation("order-1003", "sandbox", "tok_approve")

    with serving(app) as base:
        answers = send_concurrently(base, [(body, f"key-{i}") for i in range(10)])

    charges = accounts["northwind"].gateway.charge_count(body["order_id"])
    print(f"same order attempt, 10 keys: {charges} charge")
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert charges == 1


def test_a_stripe_time_out_followed_by_a_retry_charges_once(payment, stripe_standin):
    app, _ = payment
    client = app.test_client()
    body = authorisation("order-1004", "stripe", "pm_card_visa")
    headers = checkout(NORTHWIND, "cust-1", "checkout-1004")
    stripe_standin.time_out_next(1, delay_s=1.5)

    first = client.post(AUTHORISE, json=body, headers=headers)
    retry = client.post(AUTHORISE, json=body, headers=headers)

    charges = stripe_standin.charges_for(body["order_id"])
    print(
        f"stripe timed out, then retried: {charges} charge "
        f"({first.status_code} then {retry.status_code})"
    )
    assert first.status_code == 504
    assert first.json["type"].endswith("/provider-timeout")
    assert retry.status_code == 201
    assert retry.json["status"] == "authorised"
    assert charges == 1


def test_a_sandbox_time_out_followed_by_a_retry_charges_once(payment):
    app, accounts = payment
    client = app.test_client()
    body = authorisation("order-1005", "sandbox", "tok_timeout")
    headers = checkout(NORTHWIND, "cust-1", "checkout-1005")

    first = client.post(AUTHORISE, json=body, headers=headers)
    retry = client.post(AUTHORISE, json=body, headers=headers)

    charges = accounts["northwind"].gateway.charge_count(body["order_id"])
    print(f"sandbox timed out, then retried: {charges} charge")
    assert (first.status_code, retry.status_code) == (504, 201)
    assert charges == 1


def test_a_repeated_key_with_a_different_body_is_refused(payment):
    app, accounts = payment
    client = app.test_client()
    headers = checkout(NORTHWIND, "cust-1", "checkout-1006")

    first = client.post(
        AUTHORISE,
        json=authorisation("order-1006", "sandbox", "tok_approve"),
        headers=headers,
    )
    changed = client.post(
        AUTHORISE,
        json=authorisation("order-1006", "sandbox", "tok_approve", amount=1),
        headers=headers,
    )

    assert first.status_code == 201
    assert changed.status_code == 422
    assert changed.json["type"].endswith("/idempotency-key-reused")
    assert accounts["northwind"].gateway.charge_count("order-1006") == 1


def test_an_authorisation_without_an_idempotency_key_is_refused(payment):
    app, accounts = payment

    answer = app.test_client().post(
        AUTHORISE,
        json=authorisation("order-1007", "sandbox", "tok_approve"),
        headers=checkout(NORTHWIND, "cust-1"),
    )

    assert answer.status_code == 400
    assert answer.json["type"].endswith("/idempotency-key-missing")
    assert accounts["northwind"].gateway.charge_count("order-1007") == 0
