"""The payment app over PostgreSQL with two brands and their provider accounts."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server

from services.payment.app import create_app
from services.payment.gateways import configure_provider
from services.payment.models import BrandPaymentSettings, CreditAccount, db
from services.payment.providers.sandbox import sandbox_gateway
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.support.tokens import customer_of, staff_of, trust_test_keys

NORTHWIND = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="northwind")
HARBOR = Tenant(id="00000000-0000-0000-0000-0000000000b2", slug="harbor")
BRANDS = (NORTHWIND, HARBOR)


@dataclasses.dataclass
class BrandAccounts:
    merchant: str
    sandbox_secret: str
    stripe_secret: str

    @property
    def gateway(self):
        return sandbox_gateway(self.merchant)


def build_payment_app(url: str, stripe_url: str | None = None, pool_size: int = 12):
    settings = dataclasses.replace(
        load_settings(),
        database_urls={"payment": url},
        db_pool_size=pool_size,
        db_max_overflow=4,
    )
    app = create_app(settings)
    trust_test_keys(app)

    engine = migration_engine(url)
    upgrade_platform(engine, "payment")
    with engine.begin() as connection:
        for tenant in BRANDS:
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
    for tenant in BRANDS:
        upgrade_tenant(engine, "payment", tenant.slug)
    engine.dispose()

    accounts = {}
    for tenant in BRANDS:
        accounts[tenant.slug] = configure_brand(app, tenant, stripe_url)
    return app, accounts


def configure_brand(app: Flask, tenant: Tenant, stripe_url: str | None):
    run = uuid.uuid4().hex[:8]
    accounts = BrandAccounts(
        merchant=f"{tenant.slug}-{run}",
        sandbox_secret=f"sbx_whsec_{tenant.slug}_{run}",
        stripe_secret=f"whsec_{tenant.slug}_{run}",
    )
    with app.app_context(), tenant_scope(tenant):
        configure_provider(
            "sandbox",
            {"merchant": accounts.merchant, "webhook_secret": accounts.sandbox_secret},
        )
        if stripe_url:
            configure_provider(
                "stripe",
                {
                    "api_key": f"sk_test_{tenant.slug}",
                    "api_base": stripe_url,
                    "timeout_s": 0.5,
                    "webhook_secret": accounts.stripe_secret,
                },
            )
        configure_provider("invoice", {})
        db.session.add(
            BrandPaymentSettings(
                billing_day=1, dunning_days=[3, 7, 14], fraud={"velocity_limit": 100}
            )
        )
        db.session.add(
            CreditAccount(customer_id="biz-1", credit_limit=100_000, currency="EUR")
        )
        db.session.commit()
        db.session.remove()
    return accounts


def host(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def checkout(tenant: Tenant, customer_id: str, key: str | None = None) -> dict:
    """Headers of the signed-in customer paying at ``tenant``'s storefront."""
    headers = {"Host": host(tenant), **customer_of("payment", tenant, customer_id)}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def back_office(tenant: Tenant, key: str | None = None) -> dict:
    """Headers of a tenant_admin of ``tenant`` (captures, refunds, any payment)."""
    headers = {"Host": host(tenant), **staff_of("payment", tenant)}
    if key:
        headers["Idempotency-Key"] = key
    return headers


@contextmanager
def serving(app: Flask):
    """The app behind a real threaded HTTP server; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def emitted_events(app: Flask, tenant: Tenant, event_type: str | None = None):
    """(type, payload) of the events the service published for a brand, in order."""
    import json

    from sqlalchemy import select

    from shared.events.tables import outbox

    query = select(outbox.c.envelope).where(outbox.c.tenant_id == tenant.id)
    if event_type is not None:
        query = query.where(outbox.c.event_type == event_type)
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(query.order_by(outbox.c.created_at)).scalars()
        envelopes = [json.loads(row) if isinstance(row, str) else row for row in rows]
    return [(e["type"], e["payload"]) for e in envelopes]
