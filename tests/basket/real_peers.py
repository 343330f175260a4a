"""The REAL catalog and order services, each over its own database and served
over HTTP in this process, for the basket to talk to as in production.

The catalog holds Northwind's catalog, imported from the same demo pack the
basket's other tests price from. The order service's events go to a recorder
(``shared.events`` is not merged yet); nothing consumes them, so a new order
stays ``placed`` with its saga waiting on stock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from services.catalog import service as catalog_service
from services.catalog.app import create_app as create_catalog_app
from services.catalog.models import db as catalog_db
from services.order import events as order_events
from services.order.app import create_app as create_order_app
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.basket.harness import NORTHWIND, load_pack, trust_test_tokens
from tests.catalog.harness import catalog_sections


def _register(app: Flask, url: str, service: str, tenant: Tenant) -> None:
    engine = migration_engine(url)
    try:
        upgrade_platform(engine, service)
        with engine.begin() as connection:
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
        upgrade_tenant(engine, service, tenant.slug)
    finally:
        engine.dispose()


def catalog_app(url: str, tenant: Tenant = NORTHWIND) -> Flask:
    """The catalog service with the brand's catalog imported by its own use
    case (what the admin import endpoint calls)."""
    settings = dataclasses.replace(
        load_settings(), database_urls={"catalog": url}, redis_url=None
    )
    app = create_catalog_app(settings)
    _register(app, url, "catalog", tenant)
    with app.app_context(), tenant_scope(tenant):
        catalog_service.import_catalog(
            runtime(app).extras["catalog_cache"],
            **catalog_sections(load_pack(tenant.slug)),
        )
        catalog_db.session.remove()
    return app


def order_app(url: str, tenant: Tenant = NORTHWIND) -> Flask:
    settings = dataclasses.replace(load_settings(), database_urls={"order": url})
    app = create_order_app(settings)
    trust_test_tokens(app)
    _register(app, url, "order", tenant)
    return app


@contextmanager
def recorded_order_events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Order events as published (type, payload), in place of the bus."""
    published: list[tuple[str, dict[str, Any]]] = []

    def record(session, event_type, payload, version=1, **_):
        published.append((event_type, payload))
        return event_type

    previous, order_events.publish = order_events.publish, record
    try:
        yield published
    finally:
        order_events.publish = previous
