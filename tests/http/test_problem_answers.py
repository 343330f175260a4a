"""Every failure answers application/problem+json, and none leaks internals."""

import pytest

from tests.http.harness import build

HOST = {"Host": "northwind.localhost"}


@pytest.fixture
def client(tmp_path):
    return build(tmp_path, max_content_length=4096).test_client()


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_validation_errors_name_each_field(client):
    response = client.post(
        "/api/order/lines", json={"msisdn": "abc", "quantity": 0}, headers=HOST
    )
    body = assert_problem(response, 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"msisdn", "quantity"}
    assert "at least 1" in fields["quantity"] or "greater" in fields["quantity"]


def test_a_missing_field_is_named(client):
    body = assert_problem(
        client.post("/api/order/lines", json={"quantity": 2}, headers=HOST), 422
    )
    assert body["errors"] == [
        {
            "field": "msisdn",
            "location": "json",
            "message": "Missing data for required field.",
        }
    ]


def test_a_valid_request_is_answered_normally(client):
    response = client.post(
        "/api/order/lines",
        json={"msisdn": "+447700900123", "quantity": 1},
        headers=HOST,
    )
    assert response.status_code == 201
    assert response.get_json() == {"msisdn": "+447700900123", "quantity": 1}


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/api/order/nothing-here", headers=HOST), 404)


def test_wrong_method_is_a_405_problem_that_keeps_the_allow_header(client):
    response = client.delete("/api/order/lines", headers=HOST)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_an_oversized_body_is_a_413_problem(client):
    big = {"msisdn": "1" * 10, "quantity": 1, "pad": "x" * 10_000}
    assert_problem(client.post("/api/order/lines", json=big, headers=HOST), 413)


def test_a_body_that_is_not_json_is_a_415_problem(client):
    response = client.post(
        "/api/order/lines",
        data="msisdn=1",
        headers={**HOST, "Content-Type": "application/x-www-form-urlencoded"},
    )
    body = assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_malformed_json_is_a_400_problem(client):
    response = client.post(
        "/api/order/lines",
        data="{not json",
        headers={**HOST, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_a_domain_condition_has_its_own_problem_type(client):
    body = assert_problem(client.get("/api/order/numbers", headers=HOST), 409)
    assert body["type"].endswith("/out-of-numbers")
    assert body["detail"] == "the 07700 range is used up"


def test_a_crash_is_a_500_problem_without_trace_sql_or_secret(client):
    response = client.get("/api/order/crash", headers=HOST)
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    for leaked in ("hunter2", "SELECT", "Traceback", "RuntimeError"):
        assert leaked not in text
    assert body["detail"] == "Something went wrong on our side."


def test_request_and_correlation_ids_are_echoed_or_made(client):
    response = client.get(
        "/api/order/numbers",
        headers={**HOST, "X-Request-ID": "req-1", "X-Correlation-ID": "corr-9"},
    )
    assert response.headers["X-Request-ID"] == "req-1"
    assert response.headers["X-Correlation-ID"] == "corr-9"

    made = client.get("/api/order/numbers", headers=HOST)
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Correlation-ID"] == made.headers["X-Request-ID"]

    hostile = client.get(
        "/api/order/numbers", headers={**HOST, "X-Request-ID": 'a"b' * 40}
    )
    assert hostile.headers["X-Request-ID"] != 'a"b' * 40


def test_openapi_documents_errors_as_problem_json_and_serves_its_page_locally(client):
    spec = client.get("/api/order/openapi.json").get_json()
    assert "application/problem+json" in str(spec["components"]["responses"])
    page = client.get("/api/order/docs")
    assert page.status_code == 200
    assert b"/api/order/docs/assets/swagger-ui-bundle.js" in page.data
    asset = client.get("/api/order/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_health_and_readiness_answer_without_a_brand(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"]["ok"] is True


def test_an_unreachable_broker_is_reported_but_keeps_the_web_process_ready(tmp_path):
    client = build(
        tmp_path, broker_url="amqp://guest:guest@127.0.0.1:1//"
    ).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    broker = ready.get_json()["checks"]["broker"]
    assert broker["ok"] is False and broker["gates_readiness"] is False


def test_card_numbers_are_refused_by_every_service_naming_the_field(tmp_path):
    client = build(tmp_path).test_client()
    response = client.post(
        "/api/order/lines",
        json={"msisdn": "+447700900123", "quantity": 1, "note": "4111 1111 1111 1111"},
        headers=HOST,
    )
    body = assert_problem(response, 422)
    assert body["type"].endswith("/card-data-refused")
    assert body["errors"][0]["field"] == "note"
    assert "4111" not in response.get_data(as_text=True)


def test_deeply_nested_json_is_a_400_problem_not_a_crash(client):
    body = "[" * 1500 + "]" * 1500
    response = client.post(
        "/api/order/lines",
        data=body,
        headers={**HOST, "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_an_unpaired_surrogate_is_refused_naming_the_field(client):
    response = client.post(
        "/api/order/lines",
        data='{"msisdn": "+447700900123", "quantity": 1, "note": "\\ud800"}',
        headers={**HOST, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["errors"][0]["field"] == "note"
