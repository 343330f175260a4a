"""A basket service over a real database with two brands, Northwind and Volt.

The catalog is answered from the brand packs (``PackCatalogClient``), the
order service by ``FakeOrderClient``, customers sign in with RS256 tokens made
here as the tenant service would issue them (checked by ``shared.auth``
against this key set), and the clock is set by the test.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm

from services.basket import brand
from services.basket.app import create_app, default_deps
from services.basket.catalog_client import PackCatalogClient
from services.basket.deps import BasketDeps
from services.basket.models import db
from services.basket.order_client import FakeOrderClient, OrderClient
from shared.auth import install_token_verifier
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope

PACKS = Path(__file__).resolve().parents[2] / "services" / "tenant" / "demo_packs"
NORTHWIND = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="northwind")
VOLT = Tenant(id="00000000-0000-0000-0000-0000000000b2", slug="volt")
HARBOR = Tenant(id="00000000-0000-0000-0000-0000000000c3", slug="harbor")
DECEMBER_3RD = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_KID = "basket-tests"
SIGNING_JWK = {
    **json.loads(RSAAlgorithm.to_jwk(_KEY.public_key())),
    "kid": _KID,
    "use": "sig",
    "alg": "RS256",
}


def trust_test_tokens(app: Flask) -> None:
    """Verify tokens against this module's key, as if the tenant service's."""
    install_token_verifier(app, source=lambda: {"keys": [SIGNING_JWK]})


def load_pack(slug: str) -> dict:
    with open(PACKS / f"{slug}.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Clock:
    def __init__(self, now: datetime = DECEMBER_3RD) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclasses.dataclass
class Shop:
    app: Flask
    catalogs: dict[str, PackCatalogClient]
    orders: OrderClient
    clock: Clock

    def client(self, tenant: Tenant = NORTHWIND) -> ShopperClient:
        return ShopperClient(self.app.test_client(), tenant)


class ShopperClient:
    """One shopper's browser: a brand's host, a guest token or a sign-in."""

    def __init__(self, http: FlaskClient, tenant: Tenant) -> None:
        self.http = http
        self.host = f"{tenant.slug}.localhost"
        self.token: str | None = None
        self.bearer: str | None = None

    def sign_in(self, customer_id: str, tenant: Tenant = NORTHWIND) -> ShopperClient:
        self.bearer = customer_token(customer_id, tenant)
        return self

    def headers(self) -> dict[str, str]:
        headers = {"Host": self.host}
        if self.token:
            headers["X-Basket-Token"] = self.token
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        return headers

    def call(self, method: str, path: str, json=None):
        return self.http.open(
            "/api/basket" + path, method=method, json=json, headers=self.headers()
        )

    def new_basket(self, channel: str = "web", **extra) -> dict:
        answer = self.call("POST", "/baskets", {"channel": channel, **extra})
        assert answer.status_code == 201, answer.get_json()
        basket = answer.get_json()
        self.token = basket.get("token") or self.token
        return basket

    def add_bundle(self, basket_id: str, lines: list[dict], **extra) -> dict:
        answer = self.call(
            "POST", f"/baskets/{basket_id}/bundles", {"lines": lines, **extra}
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def apply_code(self, basket_id: str, code: str) -> dict:
        answer = self.call(
            "POST", f"/baskets/{basket_id}/promotion-codes", {"code": code}
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


def customer_token(
    customer_id: str,
    tenant: Tenant = NORTHWIND,
    roles=("customer",),
    audience: str = "telecart:basket",
) -> str:
    """An access token as the tenant service would issue it."""
    now = int(time.time())
    claims = {
        "iss": load_settings().jwt_issuer,
        "aud": [audience],
        "sub": customer_id,
        "tid": tenant.id,
        "roles": list(roles),
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, _KEY, algorithm="RS256", headers={"kid": _KID})


def build_shop(
    url: str,
    packs: dict[str, dict] | None = None,
    pool_size=5,
    catalog_url: str | None = None,
    order_url: str | None = None,
) -> Shop:
    """The basket app over ``url``; with ``catalog_url`` / ``order_url`` it is
    wired to those services over HTTP as in production (CATALOG_URL,
    ORDER_URL), else to the brand packs and the in-memory order hand-off."""
    packs = packs or {"northwind": load_pack("northwind"), "volt": load_pack("volt")}
    catalogs = {slug: PackCatalogClient(copy.deepcopy(p)) for slug, p in packs.items()}
    orders, clock = FakeOrderClient(), Clock()
    settings = dataclasses.replace(
        load_settings(),
        database_urls={"basket": url},
        db_pool_size=pool_size,
        db_max_overflow=5,
        catalog_url=catalog_url,
        order_url=order_url,
        redis_url=None,
    )
    if catalog_url or order_url:
        deps = default_deps(settings)
        deps.clock = clock
        orders = deps.orders
    else:
        deps = BasketDeps(
            catalogs=lambda tenant: catalogs[tenant.slug],
            orders=orders,
            clock=clock,
        )
    app = create_app(settings, deps=deps)
    trust_test_tokens(app)

    engine = migration_engine(url)
    upgrade_platform(engine, "basket")
    tenants = [t for t in (NORTHWIND, VOLT, HARBOR) if t.slug in packs]
    with engine.begin() as connection:
        for tenant in tenants:
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
    for tenant in tenants:
        upgrade_tenant(engine, "basket", tenant.slug)
    engine.dispose()

    for tenant in tenants:
        with app.app_context(), tenant_scope(tenant):
            brand.import_brand_pack(packs[tenant.slug])
            db.session.remove()
    return Shop(app, catalogs, orders, clock)


def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/basket.db"


CHECKOUT_DETAILS = {
    "contact": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "delivery_address": {"line1": "1 Park Row", "city": "Leeds", "postcode": "LS1 5AB"},
    "payment_provider": "sandbox",
    "payment_method_token": "tok_approve",
}


def checkout_body(basket: dict, email: str = "ada@example.com") -> dict:
    lines = [
        {"bundle_id": b["id"], "number": "new", "esim_email": email}
        for b in basket["bundles"]
        if b["kind"] == "mobile"
    ]
    body = copy.deepcopy(CHECKOUT_DETAILS)
    body["contact"]["email"] = email
    return {**body, "lines": lines}
