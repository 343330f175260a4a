"""Another service verifies the tenant service's tokens: audience, brand, keys.

The catalog stand-in is a real service app (``create_service_app``) with one
view behind ``@requires_auth``; it gets the key set in-process (embedded mode)
or over HTTP from the tenant service (TENANT_JWKS_URL).
"""

import threading

import pytest
from flask import jsonify
from flask_smorest import Blueprint
from werkzeug.serving import make_server

from shared.auth import current_claims, install_token_verifier, requires_auth
from shared.db import make_db
from shared.http.app import create_service_app
from tests.tenant.harness import (
    bearer,
    build_tenant_app,
    create_active_brand,
    make_operator,
    operator_token,
    settings_for,
)

pytestmark = pytest.mark.postgres
PASSWORD = "correct-horse-42"

offers = Blueprint("offers", __name__)


@offers.route("/mine")
@requires_auth(roles=["customer"])
def my_offers():
    return jsonify(customer=current_claims()["sub"])


def catalog_app(url, **overrides):
    """The catalog shares the test database, so it sees the registry rows."""
    settings = settings_for(url, **overrides)
    return create_service_app(
        "catalog", db=make_db(), blueprints=[offers], settings=settings
    )


def customer_token(app, host, audience=None):
    slug = host.split(".")[0]
    app.test_client().post(
        "/api/tenant/accounts",
        json={"email": "ana@example.com", "password": PASSWORD},
        headers={"Host": host},
    )
    data = {
        "grant_type": "password",
        "username": "ana@example.com",
        "password": PASSWORD,
        "client_id": f"{slug}-web",
    }
    if audience:
        data["audience"] = audience
    answer = app.test_client().post(
        "/api/tenant/oauth/token", data=data, headers={"Host": host}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["access_token"]


def test_the_catalog_accepts_its_audience_and_brand_only(postgres_url):
    tenant, _ = build_tenant_app(postgres_url)
    make_operator(tenant)
    ops = operator_token(tenant)
    for slug in ("northwind", "volt"):
        create_active_brand(tenant, ops, slug)
    catalog = catalog_app(postgres_url)  # no TENANT_JWKS_URL: in-process keys
    client = catalog.test_client()

    for_everyone = customer_token(tenant, "northwind.localhost")
    for_basket = customer_token(tenant, "northwind.localhost", "telecart:basket")
    volt = customer_token(tenant, "volt.localhost", "telecart:catalog")

    ok = client.get(
        "/api/catalog/mine", headers=bearer(for_everyone, "northwind.localhost")
    )
    wrong_audience = client.get(
        "/api/catalog/mine", headers=bearer(for_basket, "northwind.localhost")
    )
    other_brand = client.get(
        "/api/catalog/mine", headers=bearer(volt, "northwind.localhost")
    )
    own_brand = client.get("/api/catalog/mine", headers=bearer(volt, "volt.localhost"))

    assert ok.status_code == 200
    assert wrong_audience.status_code == 401
    assert "telecart:catalog" in wrong_audience.get_json()["detail"]
    assert other_brand.status_code == 403
    assert other_brand.get_json()["type"].endswith("/token-for-another-tenant")
    assert own_brand.status_code == 200


def test_the_catalog_fetches_keys_over_http_from_the_tenant_service(postgres_url):
    tenant, _ = build_tenant_app(postgres_url)
    make_operator(tenant)
    create_active_brand(tenant, operator_token(tenant), "northwind")
    server = make_server("127.0.0.1", 0, tenant, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    jwks_url = f"http://127.0.0.1:{server.server_port}/api/tenant/.well-known/jwks.json"
    try:
        catalog = catalog_app(postgres_url, tenant_jwks_url=jwks_url)
        install_token_verifier(catalog)
        token = customer_token(tenant, "northwind.localhost")

        answer = catalog.test_client().get(
            "/api/catalog/mine", headers=bearer(token, "northwind.localhost")
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)

    assert answer.status_code == 200
    verifier = catalog.extensions["telecart"].extras["token_verifier"]
    assert verifier.keys.fetches >= 1
