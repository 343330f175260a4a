"""Log lines are JSON events carrying the brand, request and correlation ids."""

import io
import json

import structlog

from shared.observability.logging import configure_logging
from tests.http.harness import build


def test_a_request_logs_json_with_tenant_request_and_correlation_ids(tmp_path):
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    app = build(tmp_path)

    @app.get("/api/order/ping")
    def ping():
        structlog.get_logger("test").info("order_viewed", order_number="NW-1001")
        return {"ok": True}

    app.test_client().get(
        "/api/order/ping",
        headers={"Host": "northwind.localhost", "X-Correlation-ID": "journey-7"},
    )

    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line]
    event = next(line for line in lines if line["event"] == "order_viewed")
    assert event["tenant"] == "northwind"
    assert event["tenant_id"] == "11111111-1111-1111-1111-111111111111"
    assert event["correlation_id"] == "journey-7"
    assert len(event["request_id"]) == 32
    assert event["order_number"] == "NW-1001"


def test_a_card_number_never_reaches_a_log_line(tmp_path):
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    structlog.get_logger("test").info(
        "payment_form",
        note="card 4242 4242 4242 4242",
        body={"card": {"number": "4111111111111111"}, "lines": ["5555-5555-5555-4444"]},
        order_number="1234567890123",
    )
    written = stream.getvalue()
    for card in ("4242 4242 4242 4242", "4111111111111111", "5555-5555-5555-4444"):
        assert card not in written
    assert "1234567890123" in written  # not Luhn-valid: an order number stays
    assert "[redacted]" in stream.getvalue()
