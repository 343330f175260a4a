"""Brand secrets are encrypted at rest, shown masked, and re-encrypted on rotation."""

import dataclasses

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from services.tenant import brand_secrets
from services.tenant.app import create_app
from services.tenant.service import get_brand
from services.tenant.wiring import wiring
from shared.secrets import SecretUnreadable
from tests.tenant.harness import (
    FAST_HASHER,
    bearer,
    build_tenant_app,
    create_active_brand,
    make_operator,
    operator_token,
)

pytestmark = pytest.mark.postgres

STRIPE_KEY = "sk_test_51Hxyzabcdefghijklmnop4242"


def stored_ciphertexts(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT ciphertext FROM brand_secrets")
        ).scalars()
        values = list(rows)
    engine.dispose()
    return values


def test_a_secret_is_stored_encrypted_and_never_answered_in_full(postgres_url, capsys):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app, _ = build_tenant_app(postgres_url, secrets_keys=(old_key,))
    make_operator(app)
    ops = operator_token(app)
    brand = create_active_brand(app, ops, "northwind")
    client = app.test_client()

    put = client.put(
        f"/api/tenant/tenants/{brand['id']}/secrets/stripe_secret_key",
        json={"value": STRIPE_KEY},
        headers=bearer(ops),
    )
    listed = client.get(
        f"/api/tenant/tenants/{brand['id']}/secrets", headers=bearer(ops)
    )
    trail = client.get("/api/tenant/operator/audit", headers=bearer(ops))

    assert put.get_json()["value"] == "…4242"
    assert listed.get_json() == [
        {
            "name": "stripe_secret_key",
            "value": "…4242",
            "updated_at": listed.get_json()[0]["updated_at"],
        }
    ]
    assert STRIPE_KEY not in trail.get_data(as_text=True)
    logged = capsys.readouterr()
    assert STRIPE_KEY not in logged.out + logged.err
    assert all(STRIPE_KEY not in value for value in stored_ciphertexts(postgres_url))

    # Rotation: the new key first, the old one still readable, then re-encrypt.
    rotated = create_app(
        dataclasses.replace(
            app.extensions["telecart"].settings, secrets_keys=(new_key, old_key)
        ),
        publish=lambda *a, **k: None,
        hasher=FAST_HASHER,
    )
    with rotated.app_context():
        count = brand_secrets.rotate_secrets(wiring(rotated))
    only_new = create_app(
        dataclasses.replace(
            app.extensions["telecart"].settings, secrets_keys=(new_key,)
        ),
        publish=lambda *a, **k: None,
        hasher=FAST_HASHER,
    )
    only_old = create_app(
        app.extensions["telecart"].settings, publish=lambda *a, **k: None
    )
    with only_new.app_context():
        w = wiring(only_new)
        revealed = brand_secrets.reveal_secret(
            w, get_brand(w, brand["id"]).id, "stripe_secret_key"
        )
    with only_old.app_context(), pytest.raises(SecretUnreadable):
        w = wiring(only_old)
        brand_secrets.reveal_secret(w, brand["id"], "stripe_secret_key")

    print(f"\nrotated {count} encrypted value(s) to the new key")
    assert count >= 2  # the secret and the signing key
    assert revealed == STRIPE_KEY
