import pytest

from tests.payment.harness import build_payment_app
from tests.support.stripe_standin import StripeStandIn


@pytest.fixture
def stripe_standin():
    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def payment(postgres_url, stripe_standin):
    """(app, accounts per brand slug) over a fresh PostgreSQL database."""
    app, accounts = build_payment_app(postgres_url, stripe_standin.url)
    yield app, accounts
    with app.app_context():
        from services.payment.models import db

        db.engine.dispose()
