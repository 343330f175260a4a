"""A repeated Idempotency-Key gets the first answer; a different body is refused."""

from concurrent.futures import ThreadPoolExecutor

from tests.http.harness import build, calls

NORTHWIND = {"Host": "northwind.localhost"}


def post(client, key, body, host=NORTHWIND):
    headers = {**host, "Idempotency-Key": key} if key else host
    return client.post("/api/order/orders", json=body, headers=headers)


def test_a_repeat_with_the_same_key_returns_the_first_answer(tmp_path):
    client = build(tmp_path).test_client()
    calls["orders"] = 0

    first = post(client, "k-1", {"basket": "b1"})
    again = post(client, "k-1", {"basket": "b1"})

    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert calls["orders"] == 1


def test_the_same_key_with_a_different_body_is_refused(tmp_path):
    client = build(tmp_path).test_client()
    post(client, "k-2", {"basket": "b1"})
    response = post(client, "k-2", {"basket": "b2"})
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/idempotency-key-reused")


def test_a_missing_key_is_a_clear_400(tmp_path):
    response = post(build(tmp_path).test_client(), None, {"basket": "b1"})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["detail"]


def test_keys_are_per_brand(tmp_path):
    client = build(tmp_path).test_client()
    calls["orders"] = 0
    post(client, "shared-key", {"basket": "b1"})
    volt = post(client, "shared-key", {"basket": "b1"}, host={"Host": "volt.localhost"})
    assert volt.status_code == 201 and "Idempotent-Replayed" not in volt.headers
    assert calls["orders"] == 2


def test_ten_concurrent_repeats_run_the_view_once(tmp_path):
    app = build(tmp_path)
    calls["orders"] = 0

    def one(_):
        return post(app.test_client(), "k-race", {"basket": "b9"})

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(10)))

    assert {a.status_code for a in answers} == {201}
    assert len({a.get_data() for a in answers}) == 1
    print(f"\nsame idempotency key x 10: {calls['orders']} order created")
    assert calls["orders"] == 1
