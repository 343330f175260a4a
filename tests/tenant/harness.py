"""The tenant service over a real PostgreSQL, with a fake event publisher.

``FakePublisher`` stands in for ``shared.events.publish`` (being merged
separately); ``FakeServices`` answers ``<service>.tenant_ready`` the way the
other five services will, through the tenant service's real handler.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from argon2 import PasswordHasher
from flask import Flask

from services.tenant import events, identity
from services.tenant.app import create_app
from services.tenant.models import db
from services.tenant.provisioning import OTHER_SERVICES
from services.tenant.wiring import wiring
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform

OPERATOR_EMAIL = "ops@telecart.example"
OPERATOR_PASSWORD = "operator-pass-123"

# Argon2id still, at a test-friendly cost (production uses the library default).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


@dataclass
class FakePublisher:
    """Records what would go to the outbox, in order."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, session, event_type, payload, version=1, tenant_id=None, **_):
        self.events.append(
            {"type": event_type, "payload": payload, "tenant_id": tenant_id}
        )

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]


def settings_for(url: str, **overrides: Any):
    base = load_settings()
    urls = {name: url for name in base.database_urls}
    return dataclasses.replace(base, database_urls=urls, **overrides)


def build_tenant_app(url: str, **overrides: Any) -> tuple[Flask, FakePublisher]:
    engine = migration_engine(url)
    upgrade_platform(engine, "tenant")
    engine.dispose()
    publisher = FakePublisher()
    app = create_app(
        settings_for(url, **overrides), publish=publisher, hasher=FAST_HASHER
    )
    return app, publisher


def answer_ready(app: Flask, tenant_id: str, services=OTHER_SERVICES) -> None:
    """Each service answers ``<service>.tenant_ready`` as the bus would deliver it."""
    for service in services:
        envelope = SimpleNamespace(
            type=f"{service}.tenant_ready",
            tenant_id=tenant_id,
            payload={"tenant_id": tenant_id, "service": service},
        )
        with app.app_context():
            events.on_tenant_ready(envelope, db.session)
            db.session.commit()
            db.session.remove()


def make_operator(app: Flask) -> None:
    with app.app_context():
        identity.create_operator(wiring(app), OPERATOR_EMAIL, OPERATOR_PASSWORD)
        db.session.remove()


def operator_token(app: Flask) -> str:
    answer = app.test_client().post(
        "/api/tenant/operator/token",
        data={
            "grant_type": "password",
            "username": OPERATOR_EMAIL,
            "password": OPERATOR_PASSWORD,
            "client_id": identity.CONSOLE_CLIENT,
        },
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["access_token"]


def bearer(token: str, host: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if host:
        headers["Host"] = host
    return headers


BRAND_BODY = {
    "slug": "northwind",
    "name": "Northwind Mobile",
    "custom_domains": ["shop.northwind-mobile.example"],
    "locale": "en-GB",
    "languages": ["en-GB", "cy-GB"],
    "currency": "GBP",
    "tax": {"rate_percent": 20, "prices_include_tax": True},
    "theme": {"primary": "#0B5FFF", "radius_px": 8, "font_family": "Inter, sans-serif"},
    "payment_providers": ["sandbox", "stripe"],
    "features": {"broadband": True},
}


def brand_body(slug: str, **changes: Any) -> dict[str, Any]:
    body = {**BRAND_BODY, "slug": slug, "name": slug.title(), "custom_domains": []}
    body.update(changes)
    return body


def create_active_brand(app: Flask, token: str, slug: str) -> dict[str, Any]:
    client = app.test_client()
    created = client.post(
        "/api/tenant/tenants", json=brand_body(slug), headers=bearer(token)
    )
    assert created.status_code == 201, created.get_json()
    brand = created.get_json()
    answer_ready(app, brand["id"])
    return brand


def sign_in(app: Flask, host: str, email: str, password: str, client_id: str):
    return app.test_client().post(
        "/api/tenant/oauth/token",
        data={
            "grant_type": "password",
            "username": email,
            "password": password,
            "client_id": client_id,
        },
        headers={"Host": host},
    )
