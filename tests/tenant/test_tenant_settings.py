"""The tenant service's settings are checked at start-up, one line per problem."""

import pytest
from cryptography.fernet import Fernet

from shared.config import ConfigError, load_settings


def test_secrets_keys_are_read_in_order_first_one_encrypts(monkeypatch):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("SECRETS_KEYS", f"{new}, {old}")

    assert load_settings().secrets_keys == (new, old)


def test_a_malformed_secrets_key_is_refused_naming_its_position(monkeypatch):
    monkeypatch.setenv("SECRETS_KEYS", f"{Fernet.generate_key().decode()},not-a-key")

    with pytest.raises(ConfigError) as refused:
        load_settings()

    assert str(refused.value) == (
        "config error: SECRETS_KEYS: key 2 is not a Fernet key "
        "(32 url-safe base64 bytes)"
    )


def test_production_refuses_to_start_without_secrets_keys(monkeypatch):
    monkeypatch.setenv("TELECART_ENV", "production")
    monkeypatch.setenv("SECRETS_KEYS", "")
    for service in ("TENANT", "CATALOG", "CHANNEL", "BASKET", "ORDER", "PAYMENT"):
        monkeypatch.setenv(f"{service}_DATABASE_URL", "postgresql://db/x")

    with pytest.raises(ConfigError, match="SECRETS_KEYS: required in production"):
        load_settings()


def test_the_jwks_url_must_be_http(monkeypatch):
    monkeypatch.setenv("TENANT_JWKS_URL", "ftp://tenant/jwks.json")

    with pytest.raises(ConfigError, match="TENANT_JWKS_URL"):
        load_settings()
