"""The catalog app over SQLite or PostgreSQL with the three demo brands."""

from __future__ import annotations

import copy
import dataclasses
import functools

import yaml
from flask import Flask

from services.catalog import service
from services.catalog.app import create_app
from services.catalog.models import db
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.support.data import BRANDS_DIR
from tests.support.tokens import staff_of, trust_test_keys

NORTHWIND = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="northwind")
VOLT = Tenant(id="00000000-0000-0000-0000-0000000000a2", slug="volt")
HARBOR = Tenant(id="00000000-0000-0000-0000-0000000000a3", slug="harbor")
BRANDS = (NORTHWIND, VOLT, HARBOR)


@functools.cache
def _parsed_pack(slug: str) -> dict:
    return yaml.safe_load((BRANDS_DIR / f"{slug}.yaml").read_text())


def load_pack(slug: str) -> dict:
    """The brand pack as ``yaml.safe_load`` reads it (parsed once per run)."""
    return copy.deepcopy(_parsed_pack(slug))


def catalog_sections(pack: dict) -> dict:
    """What the brand-pack loader hands the catalog: its sections, as parsed."""
    return {
        "settings": {
            "currency": pack["tenant"]["currency"],
            "tax": pack["tenant"]["tax"],
            "channels": pack.get("channels") or [],
        },
        "products": pack.get("products") or [],
        "rules": pack.get("rules") or [],
        "cross_sell": pack.get("cross_sell") or [],
        "campaigns": pack.get("campaigns") or [],
    }


def build_app(url: str, pool_size: int = 5, max_overflow: int = 5) -> Flask:
    settings = dataclasses.replace(
        load_settings(),
        database_urls={**load_settings().database_urls, "catalog": url},
        db_pool_size=pool_size,
        db_max_overflow=max_overflow,
        redis_url=None,
    )
    app = create_app(settings)
    trust_test_keys(app)
    engine = migration_engine(url)
    try:
        upgrade_platform(engine, "catalog")
        with engine.begin() as connection:
            for tenant in BRANDS:
                runtime(app).registry.upsert(
                    connection,
                    tenant_id=tenant.id,
                    slug=tenant.slug,
                    status="active",
                    domains=[],
                )
        for tenant in BRANDS:
            upgrade_tenant(engine, "catalog", tenant.slug)
    finally:
        engine.dispose()
    return app


def import_brand(app: Flask, tenant: Tenant) -> service.pack_import.ImportSummary:
    cache = runtime(app).extras["catalog_cache"]
    with app.app_context(), tenant_scope(tenant):
        summary = service.import_catalog(
            cache, **catalog_sections(load_pack(tenant.slug))
        )
        db.session.remove()
    return summary


def build_with_brands(url: str, **pool) -> Flask:
    app = build_app(url, **pool)
    for tenant in BRANDS:
        import_brand(app, tenant)
    return app


def host(tenant: Tenant) -> dict[str, str]:
    return {"Host": f"{tenant.slug}.localhost"}


def admin(tenant: Tenant) -> dict[str, str]:
    """Host and bearer token of a tenant_admin of ``tenant``."""
    return {**host(tenant), **staff_of("catalog", tenant)}
