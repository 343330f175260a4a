"""Provider credentials are stored encrypted, open after a key rotation, and
are shown masked in logs.

Its own module, so its own database: re-sealing changes the stored rows.
"""

import dataclasses
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from services.payment.app import create_app
from services.payment.gateways import (
    configure_provider,
    provider_credentials,
    reseal_provider_accounts,
)
from services.payment.models import db
from shared.config import DEVELOPMENT_SECRETS_KEY
from shared.http.app import runtime
from shared.secrets import SecretUnreadable
from shared.tenancy import tenant_scope
from tests.payment.harness import NORTHWIND


def stored_credentials(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        sealed = connection.execute(
            text(
                "SELECT sealed_credentials "
                f'FROM "{NORTHWIND.schema}".provider_accounts '
                "WHERE provider = 'sandbox'"
            )
        ).scalar_one()
    engine.dispose()
    return sealed


def app_with_keys(app, *keys):
    settings = dataclasses.replace(runtime(app).settings, secrets_keys=keys)
    return create_app(settings)


def sandbox_credentials(app) -> dict:
    with app.app_context(), tenant_scope(NORTHWIND):
        credentials = provider_credentials("sandbox")
        db.session.remove()
    return credentials


def test_the_stored_column_never_holds_the_plaintext_secret(payment):
    app, accounts = payment
    url = runtime(app).settings.database_url("payment")
    secret = accounts["northwind"].sandbox_secret

    sealed = stored_credentials(url)

    print(f"\nstored: {sealed[:12]}... ({len(sealed)} chars)")
    assert secret not in sealed and accounts["northwind"].merchant not in sealed
    assert sealed.startswith("v1:")
    assert sandbox_credentials(app)["webhook_secret"] == secret


def test_rotating_secrets_keys_still_opens_the_credentials(payment):
    app, accounts = payment
    url = runtime(app).settings.database_url("payment")
    secret = accounts["northwind"].sandbox_secret
    new_key = Fernet.generate_key().decode()

    rotating = app_with_keys(app, new_key, DEVELOPMENT_SECRETS_KEY)
    during = sandbox_credentials(rotating)
    with rotating.app_context(), tenant_scope(NORTHWIND):
        resealed = reseal_provider_accounts()
        db.session.commit()
        db.session.remove()
    after = sandbox_credentials(app_with_keys(app, new_key))
    old_key_only = app_with_keys(app, DEVELOPMENT_SECRETS_KEY)

    assert during["webhook_secret"] == secret
    assert resealed == 3  # sandbox, stripe and invoice
    assert after["webhook_secret"] == secret
    assert secret not in stored_credentials(url)
    with pytest.raises(SecretUnreadable):
        sandbox_credentials(old_key_only)


def test_configuring_a_provider_logs_the_credentials_masked(payment, caplog):
    app, _ = payment
    api_key = "sk_live_0123456789abcdefWXYZ"

    with caplog.at_level(logging.INFO):
        with app.app_context(), tenant_scope(NORTHWIND):
            configure_provider("stripe", {"api_key": api_key, "timeout_s": 5})
            db.session.commit()
            db.session.remove()

    assert "provider_configured" in caplog.text
    assert "'api_key': '…WXYZ'" in caplog.text
    assert api_key not in caplog.text
