"""A channel app over a real PostgreSQL with Northwind, Volt and Harbor."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from flask import Flask

from services.channel import service
from services.channel.app import create_app
from services.channel.catalog import shown_on
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from shared.tenancy.registry import TenantRegistry
from tests.support.tokens import customer_of, staff_of, trust_test_keys

NORTHWIND = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="northwind")
VOLT = Tenant(id="00000000-0000-0000-0000-0000000000b2", slug="volt")
HARBOR = Tenant(id="00000000-0000-0000-0000-0000000000c3", slug="harbor")
BRANDS = (NORTHWIND, VOLT, HARBOR)


def brands_dir() -> Path:
    """The demo brand packs: $TELECART_BRANDS_DIR, the copy the repo ships, or
    shared/data/brands nearby."""
    if os.environ.get("TELECART_BRANDS_DIR"):
        return Path(os.environ["TELECART_BRANDS_DIR"])
    here = Path(__file__).resolve()
    shipped = here.parents[2] / "services" / "tenant" / "demo_packs"
    if (shipped / "northwind.yaml").exists():
        return shipped
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "brands"
        if (candidate / "northwind.yaml").exists():
            return candidate
    raise FileNotFoundError("no shared/data/brands with the demo packs found")


def load_pack(slug: str) -> dict[str, Any]:
    return yaml.safe_load((brands_dir() / f"{slug}.yaml").read_text())


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeCatalog:
    """The catalog's answers per brand, from the packs' products.

    Stands in for ``CatalogClients``: ``retire`` and ``only_on`` change what
    the catalog says about a product, as the catalog service would.
    """

    def __init__(self) -> None:
        self.products: dict[str, dict[str, dict[str, Any]]] = {}
        self.asked: list[tuple[str, str]] = []

    def add_pack(self, tenant: Tenant, pack: dict[str, Any]) -> None:
        self.products[tenant.id] = {
            p["code"]: {"code": p["code"], "name": p["name"], "type": p["type"]}
            for p in pack.get("products", [])
        }

    def retire(self, tenant: Tenant, code: str) -> None:
        self.products[tenant.id][code]["status"] = "retired"

    def only_on(self, tenant: Tenant, code: str, channels: list[str]) -> None:
        self.products[tenant.id][code]["channels"] = channels

    def for_request(self, host_url: str, host: str, tenant_id: str) -> FakeCatalogView:
        return FakeCatalogView(self, tenant_id)


@dataclasses.dataclass
class FakeCatalogView:
    catalog: FakeCatalog
    tenant_id: str

    def offered(self, code: str, channel: str) -> dict[str, Any] | None:
        self.catalog.asked.append((self.tenant_id, code))
        product = self.catalog.products.get(self.tenant_id, {}).get(code)
        return product if shown_on(product, channel) else None


IN_CAMPAIGN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def build_channel_app(
    url: str, clock: Clock | None = None, migrate: bool = True, **runtime_options: Any
) -> tuple[Flask, FakeCatalog, Clock]:
    settings = dataclasses.replace(load_settings(), database_urls={"channel": url})
    clock = clock or Clock(IN_CAMPAIGN)
    catalog = FakeCatalog()
    rt = service.ChannelRuntime(catalog=catalog, clock=clock, **runtime_options)
    app = create_app(settings, channel_runtime=rt)
    trust_test_keys(app)
    if migrate:
        migrate_brands(url)
    runtime(app).registry.invalidate()
    return app, catalog, clock


def migrate_brands(url: str) -> None:
    """Every brand's schema at head and in the local registry, as provisioning does."""
    engine = migration_engine(url)
    upgrade_platform(engine, "channel")
    for tenant in BRANDS:
        upgrade_tenant(engine, "channel", tenant.slug)
    registry = TenantRegistry(engine, "localhost")
    with engine.begin() as connection:
        for tenant in BRANDS:
            registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
    engine.dispose()


def dispose(app: Flask) -> None:
    from services.channel.models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def import_demo_pack(app: Flask, catalog: FakeCatalog, tenant: Tenant) -> dict:
    pack = load_pack(tenant.slug)
    catalog.add_pack(tenant, pack)
    with app.app_context(), tenant_scope(tenant):
        try:
            return service.import_brand_pack(pack)
        finally:
            from services.channel.models import db

            db.session.remove()


def host(tenant: Tenant) -> dict[str, str]:
    return {"Host": f"{tenant.slug}.localhost"}


def staff_headers(tenant: Tenant) -> dict[str, str]:
    """Host and bearer token of a tenant_admin of ``tenant``."""
    return {"Host": f"{tenant.slug}.localhost", **staff_of("channel", tenant)}


def customer_headers(tenant: Tenant, customer: str = "ana") -> dict[str, str]:
    """Host and bearer token of a signed-in customer of ``tenant``."""
    return {
        "Host": f"{tenant.slug}.localhost",
        **customer_of("channel", tenant, customer),
    }
