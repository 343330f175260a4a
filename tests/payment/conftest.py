import io
import logging
import sys

import pytest
from sqlalchemy import create_engine, inspect, text

from shared.http.card_data import holds_card_number
from shared.observability.logging import configure_logging
from tests.payment.harness import BRANDS, build_payment_app
from tests.support.services import fresh_postgres_database
from tests.support.stripe_standin import StripeStandIn


@pytest.fixture(scope="module")
def stripe_standin():
    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def payment(stripe_standin):
    """(app, accounts per brand slug) over a fresh PostgreSQL database.

    One database per test module keeps the folder fast; every test uses its
    own order ids and counts charges per order.
    """
    url, drop = fresh_postgres_database()
    app, accounts = build_payment_app(url, stripe_standin.url)
    yield app, accounts
    with app.app_context():
        from services.payment.models import db

        db.engine.dispose()
    assert_no_card_number_stored(url)
    drop()


class _Tee:
    """Writes log lines to stderr and keeps them for the end-of-run check."""

    def __init__(self) -> None:
        self.lines = io.StringIO()

    def write(self, text: str) -> int:
        self.lines.write(text)
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@pytest.fixture(scope="session", autouse=True)
def no_card_number_in_any_log_line():
    """After every payment test: no card number in any line the service wrote."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    tee = _Tee()
    configure_logging("INFO", "json", stream=tee)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    leaked = [
        line for line in tee.lines.getvalue().splitlines() if holds_card_number(line)
    ]
    print(f"\ncard numbers in logs: {len(leaked)}")
    assert leaked == []


CARD_COLUMN_NAMES = {"pan", "card_number", "cvc", "cvv", "security_code", "number"}


def assert_no_card_number_stored(url: str) -> None:
    """Checked on each test module's database before it is dropped."""
    engine = create_engine(url)
    found, columns = [], []
    with engine.connect() as connection:
        inspector = inspect(connection)
        for tenant in BRANDS:
            for table in inspector.get_table_names(schema=tenant.schema):
                columns += [
                    f"{table}.{column['name']}"
                    for column in inspector.get_columns(table, schema=tenant.schema)
                    if column["name"].lower() in CARD_COLUMN_NAMES
                ]
                rows = connection.execute(
                    text(f'SELECT * FROM "{tenant.schema}"."{table}"')
                )
                found += [v for row in rows for v in row if holds_card_number(str(v))]
    engine.dispose()
    assert columns == [], "a column is named for card data"
    assert found == [], "a card number was stored"
