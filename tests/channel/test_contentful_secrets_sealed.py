"""The brand's Contentful token and webhook secret: encrypted at rest, shown
masked, and still readable after SECRETS_KEYS is rotated."""

import dataclasses
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from services.channel.app import create_app
from services.channel.secrets import open_secret
from services.channel.service import channel_settings
from shared.config import DEVELOPMENT_SECRETS_KEY
from shared.http.app import runtime
from shared.secrets import SecretUnreadable
from shared.tenancy import tenant_scope
from tests.channel.harness import NORTHWIND, build_channel_app, dispose, staff_headers

TOKEN = "cda-token-northwind-0123456789-K9Q2"
WEBHOOK_SECRET = "webhook-secret-northwind-0123-Z7X1"


def stored_columns(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT contentful_token_sealed, contentful_webhook_secret_sealed "
                f'FROM "{NORTHWIND.schema}".channel_settings'
            )
        ).one()
    engine.dispose()
    return tuple(row)


def opened_with(app, *keys) -> tuple[str, str]:
    settings = dataclasses.replace(runtime(app).settings, secrets_keys=keys)
    other = create_app(settings, channel_runtime=runtime(app).extras["channel"])
    try:
        with other.app_context(), tenant_scope(NORTHWIND):
            stored = channel_settings()
            return (
                open_secret(stored.contentful_token_sealed),
                open_secret(stored.contentful_webhook_secret_sealed),
            )
    finally:
        dispose(other)


def test_contentful_secrets_are_sealed_masked_and_survive_a_key_rotation(
    fresh_db, caplog
):
    app, _, _ = build_channel_app(fresh_db, migrate=False)
    with caplog.at_level(logging.INFO):
        answer = app.test_client().put(
            "/api/channel/admin/settings/contentful",
            json={
                "space": "northwind",
                "access_token": TOKEN,
                "webhook_secret": WEBHOOK_SECRET,
            },
            headers=staff_headers(NORTHWIND),
        )
    new_key = Fernet.generate_key().decode()

    stored = stored_columns(fresh_db)
    rotated = opened_with(app, new_key, DEVELOPMENT_SECRETS_KEY)
    print(f"\nanswer: {answer.get_json()}")
    dispose(app)

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["access_token"] == "…K9Q2"
    assert answer.get_json()["webhook_secret"] == "…Z7X1"
    assert TOKEN not in answer.get_data(as_text=True)
    assert not any(TOKEN in column or WEBHOOK_SECRET in column for column in stored)
    assert "'access_token': '…K9Q2'" in caplog.text  # contentful_configured
    assert TOKEN not in caplog.text and WEBHOOK_SECRET not in caplog.text
    assert rotated == (TOKEN, WEBHOOK_SECRET)
    with pytest.raises(SecretUnreadable):
        opened_with(app, new_key)
