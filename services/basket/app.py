"""Application factory of the basket service."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import structlog
from flask import Flask

from shared.config import Settings, load_settings
from shared.http.app import create_service_app
from shared.tenancy.context import Tenant

log = structlog.get_logger(__name__)

DEMO_PACKS = Path(__file__).resolve().parent.parent / "tenant" / "demo_packs"


def create_app(settings: Settings | None = None, deps=None) -> Flask:
    import services.basket as package
    from services.basket import models, views

    settings = settings or load_settings()
    app = create_service_app(
        "basket",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
    app.extensions["basket"] = deps or default_deps(settings)
    return app


def default_deps(settings: Settings):
    """The catalog and order services over HTTP when CATALOG_URL / ORDER_URL
    are set; else the demo packs and an in-memory order hand-off (embedded
    demo). Tokens are checked by ``shared.auth`` (TENANT_JWKS_URL, or the
    tenant app's key set in-process)."""
    from services.basket.catalog_client import HttpCatalogClient, PackCatalogClient
    from services.basket.deps import BasketDeps
    from services.basket.order_client import FakeOrderClient, HttpOrderClient

    if settings.catalog_url:
        clients: dict[str, HttpCatalogClient] = {}

        def catalogs(tenant: Tenant):
            if tenant.slug not in clients:
                clients[tenant.slug] = HttpCatalogClient(
                    settings.catalog_url,
                    host=f"{tenant.slug}.{settings.platform_domain}",
                    timeout_s=settings.http_timeout_s,
                )
            return clients[tenant.slug]

    else:

        @cache
        def pack_client(slug: str) -> PackCatalogClient:
            return PackCatalogClient.from_file(DEMO_PACKS / f"{slug}.yaml")

        def catalogs(tenant: Tenant):
            return pack_client(tenant.slug)

    if settings.order_url:
        orders = HttpOrderClient(settings.order_url, timeout_s=settings.http_timeout_s)
    else:
        log.warning("order_hand_off_in_memory", reason="ORDER_URL is not set")
        orders = FakeOrderClient()
    from services.basket.live import InProcessFeed, RedisFeed

    feed = RedisFeed(settings.redis_url) if settings.redis_url else InProcessFeed()
    return BasketDeps(catalogs=catalogs, orders=orders, feed=feed)
