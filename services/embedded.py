"""``telecart run``: every service in one process on SQLite, events in-process.

Start-up: migrate the six databases, build the six apps behind one dispatcher
(the ingress's routing), start the in-process bus in a thread, onboard the
demo brands shipped in ``services/tenant/demo_packs`` the first time (a brand
already known to the tenant service is left as it is), wait until each brand
is active, then serve on one port.

The basket reaches the catalog and order services over HTTP; here both are
this same server (``CATALOG_URL`` and ``ORDER_URL`` default to it), and the
basket's clients name the brand in the Host header.

There is no CronJob here: an ``OrderClock`` thread runs the order saga's
``tick`` every second, and brands without a fulfilment system of their own
get the order service's built-in simulator (``ORDER_FULFILMENT_SIMULATOR``
is switched on outside production), whose updates that same tick applies.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import click
import structlog
from sqlalchemy import select
from werkzeug.serving import run_simple

from services.migration import migrate_service
from services.platform import PlatformDispatcher, create_platform
from shared import SERVICES
from shared.config import Settings

log = structlog.get_logger(__name__)

DEMO_PACKS = Path(__file__).resolve().parent / "tenant" / "demo_packs"
ACTIVE_WITHIN_S = 60.0
ORDER_TICK_EVERY_S = 1.0


def embedded_settings(settings: Settings, port: int) -> Settings:
    """Point the basket's peers at this very server unless they are set, and
    let brands without a fulfilment system use the simulator (not in prod)."""
    here = f"http://127.0.0.1:{port}"
    return dataclasses.replace(
        settings,
        catalog_url=settings.catalog_url or here,
        order_url=settings.order_url or here,
        order_fulfilment_simulator=settings.environment != "production",
    )


def run_embedded(settings: Settings, host: str, port: int) -> None:
    started = time.perf_counter()
    settings = embedded_settings(settings, port)
    for service in SERVICES:
        migrate_service(service, settings)

    platform = create_platform(settings)
    from services.order.clock import OrderClock
    from shared.events import InProcessBus

    bus = InProcessBus(platform)
    bus.start()
    clock = OrderClock(platform.apps["order"], ORDER_TICK_EVERY_S).start()

    for pack_path in sorted(DEMO_PACKS.glob("*.yaml")):
        slug, outcome = onboard_demo_brand(platform, pack_path)
        click.echo(f"  brand {slug:<10} {outcome}")

    click.echo(
        f"Telecart is listening on http://{host}:{port} "
        f"(ready in {time.perf_counter() - started:.1f}s)"
    )
    for slug in brand_slugs(platform):
        click.echo(
            f"  {slug:<10} API: http://{slug}.{settings.platform_domain}:{port}"
            "/api/<service>/..."
        )
    for service in SERVICES:
        click.echo(
            f"  {service:<10} OpenAPI: http://{settings.platform_domain}:{port}"
            f"/api/{service}/docs"
        )
    try:
        run_simple(host, port, platform, threaded=True, use_reloader=False)
    finally:
        clock.stop()
        bus.stop()


def onboard_demo_brand(
    platform: PlatformDispatcher, pack_path: Path
) -> tuple[str, str]:
    """Onboard one demo pack unless its brand exists; wait until it is active."""
    from services.tenant import service as tenants
    from services.tenant.audit import Actor
    from services.tenant.onboarding import onboard_pack, wait_until_active
    from services.tenant.wiring import wiring
    from shared.brandpack import load_pack

    app = platform.apps["tenant"]
    pack = load_pack(pack_path)
    with app.app_context():
        w = wiring(app)
        known = tenants.brand_by_slug(w, pack.slug)
        tenant_id, status = (known.id, known.status) if known else (None, None)
        w.db.session.remove()

    if tenant_id is None:
        actor = Actor("cli:telecart-run", ("platform_admin",))
        report = onboard_pack(app, pack_path, actor, pack=pack)
        tenant_id, outcome = report.tenant_id, "onboarded"
    else:
        outcome = "already onboarded"
    if status != "active":
        state = wait_until_active(app, tenant_id, ACTIVE_WITHIN_S)
        if state.status != "active":
            raise click.ClickException(
                f"{pack.slug} is {state.status}; still waiting for "
                f"{', '.join(state.missing) or 'nobody'}"
            )

    seed_basket_codes(platform, pack.data)
    enable_sandbox_payments(platform, pack.data)
    log.info("demo_brand_ready", slug=pack.slug, outcome=outcome)
    return pack.slug, f"{outcome}, active"


def seed_basket_codes(platform: PlatformDispatcher, pack: dict) -> None:
    """The basket's promotion codes and terms, straight from the pack.

    The tenant's hand-off sends ``promotion_codes`` to the channel service
    only, and the basket (which applies them) has no hand-off consumer yet:
    until it does, the embedded platform gives the basket its part here.
    Re-importing keeps each code's redemption counter.
    """
    from services.basket import brand
    from services.basket.models import db
    from shared.http.app import runtime
    from shared.tenancy import tenant_scope

    app = platform.apps["basket"]
    tenant = runtime(app).registry.by_slug(pack["tenant"]["slug"])
    if tenant is None:
        runtime(app).registry.invalidate()
        tenant = runtime(app).registry.by_slug(pack["tenant"]["slug"])
    with app.app_context(), tenant_scope(tenant):
        try:
            brand.import_brand_pack(pack)
        finally:
            db.session.remove()


def enable_sandbox_payments(platform: PlatformDispatcher, pack: dict) -> None:
    """The payment sandbox for a demo brand whose pack lists it.

    The payment service keeps each brand's provider accounts (with sealed
    credentials) and nothing hands the pack's ``payment_providers`` to it
    yet; the sandbox needs no real account, so the embedded platform opens
    one per brand here. An account already there is left as it is.
    """
    from services.payment.gateways import configure_provider
    from services.payment.models import ProviderAccount, db
    from shared.http.app import runtime
    from shared.tenancy import tenant_scope

    slug = pack["tenant"]["slug"]
    if "sandbox" not in (pack["tenant"].get("payment_providers") or []):
        return
    app = platform.apps["payment"]
    tenant = runtime(app).registry.by_slug(slug)
    if tenant is None:
        runtime(app).registry.invalidate()
        tenant = runtime(app).registry.by_slug(slug)
    with app.app_context(), tenant_scope(tenant):
        try:
            known = db.session.scalar(
                select(ProviderAccount).where(ProviderAccount.provider == "sandbox")
            )
            if known is None:
                configure_provider("sandbox", {"merchant": f"{slug}-demo"})
                db.session.commit()
        finally:
            db.session.remove()


def brand_slugs(platform: PlatformDispatcher) -> list[str]:
    from services.tenant import service as tenants
    from services.tenant.wiring import wiring

    app = platform.apps["tenant"]
    with app.app_context():
        w = wiring(app)
        slugs = sorted(brand.slug for brand in tenants.list_brands(w))
        w.db.session.remove()
    return slugs
