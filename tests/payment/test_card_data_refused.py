"""Card numbers and security codes are refused, never stored, never logged."""

import io
import logging

import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from shared.http.card_data import holds_card_number, luhn_valid
from shared.observability.logging import configure_logging
from tests.payment.harness import (
    BRANDS,
    NORTHWIND,
    back_office,
    checkout,
    serving,
)

AUTHORISE = "/api/payment/authorisations"
CARD_NUMBERS = ["4111111111111111", "5555 5555 5555 4444", "3782-822463-10005"]


@pytest.fixture
def captured_logs():
    """Every log line the service writes during the test, JSON as in production."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def authorisation(order_id: str, **extra) -> dict:
    return {
        "order_id": order_id,
        "amount": 1500,
        "currency": "GBP",
        "provider": "sandbox",
        "payment_token": "tok_approve",
        "customer": {"id": "cust-9"},
        **extra,
    }


REFUSALS = [
    (authorisation("o-c1", card_number=CARD_NUMBERS[0]), "card_number"),
    (authorisation("o-c2", payment_token=CARD_NUMBERS[1]), "payment_token"),
    (
        authorisation("o-c3", customer={"id": "c", "note": f"use {CARD_NUMBERS[2]}"}),
        "customer.note",
    ),
    (authorisation("o-c4", pan=CARD_NUMBERS[0].replace("1111", "1111", 1)), "pan"),
    (authorisation("o-c5", cvc="123"), "cvc"),
    (authorisation("o-c6", card={"cvv": "999"}), "card.cvv"),
    (
        authorisation("o-c7", metadata=[{"ref": int(CARD_NUMBERS[0])}]),
        "metadata[0].ref",
    ),
]


def test_requests_carrying_card_data_are_refused_naming_the_field_and_never_logged(
    payment, captured_logs
):
    app, accounts = payment
    answers = []

    with serving(app) as base:
        for index, (body, _field) in enumerate(REFUSALS):
            answers.append(
                requests.post(
                    base + AUTHORISE,
                    json=body,
                    headers=back_office(NORTHWIND, f"cd-{index}"),
                    timeout=10,
                )
            )
        answers.append(
            requests.get(
                f"{base}/api/payment/payments/x?pan={CARD_NUMBERS[0]}",
                headers=back_office(NORTHWIND),
                timeout=10,
            )
        )

    logs = captured_logs.getvalue()
    leaked = [n for n in CARD_NUMBERS if n in logs or n.replace(" ", "") in logs]
    leaked += [n for n in CARD_NUMBERS if n.replace("-", "") in logs]
    print(
        f"card-data requests refused: {sum(a.status_code == 422 for a in answers)}"
        f" of {len(answers)}; card numbers in logs: {len(leaked)}"
    )
    for answer, (_body, field) in zip(answers, REFUSALS, strict=False):
        assert answer.status_code == 422
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/card-data-refused")
        assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert "4111" not in answer.text
    assert answers[-1].status_code == 422
    assert answers[-1].json()["errors"][0] == {
        "field": "pan",
        "location": "query",
        "message": "Card numbers and security codes are refused.",
    }
    assert "card_data_refused" in logs
    assert "pan=[redacted]" in logs  # the access log line was written, redacted
    assert leaked == []
    assert accounts["northwind"].gateway.charge_count("o-c1") == 0


def test_a_long_number_that_fails_the_luhn_check_is_not_mistaken_for_a_card(payment):
    app, _ = payment
    order_id = "1234567812345678"
    assert not luhn_valid(order_id)

    answer = app.test_client().post(
        AUTHORISE,
        json=authorisation(order_id),
        headers=checkout(NORTHWIND, "cust-9", "luhn-1"),
    )

    assert answer.status_code == 201


def test_no_column_can_hold_a_card_number_and_no_row_holds_one(payment):
    app, _ = payment
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    suspicious = ("pan", "card_number", "cvc", "cvv", "security_code", "number")
    found_columns, found_values = [], []

    with engine.connect() as connection:
        inspector = inspect(connection)
        for tenant in BRANDS:
            for table in inspector.get_table_names(schema=tenant.schema):
                for column in inspector.get_columns(table, schema=tenant.schema):
                    if column["name"].lower() in suspicious:
                        found_columns.append(f"{table}.{column['name']}")
                rows = connection.execute(
                    text(f'SELECT * FROM "{tenant.schema}"."{table}"')
                )
                for row in rows:
                    found_values += [v for v in row if holds_card_number(str(v))]
    engine.dispose()

    print(
        f"card-number columns: {len(found_columns)}; card numbers stored: "
        f"{len(found_values)}"
    )
    assert found_columns == []
    assert found_values == []
