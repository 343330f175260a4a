"""The catalog service's use cases; each owns its transaction.

Views and event handlers call these; the modules beside this one
(``pack_import``, ``search``, ``pricing``, ``compatibility``, ``inventory``)
hold the rules and never commit.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select, text

from services.catalog import (
    compatibility,
    device_master,
    inventory,
    pack_import,
    pack_shapes,
    pricing,
    search,
    storefront,
)
from services.catalog import events as stock_events
from services.catalog.cache import CatalogCache
from services.catalog.errors import (
    CatalogPackRefused,
    NotServiceable,
    PriceOptionAmbiguous,
    PriceOptionNotFound,
    StockNotAdjustable,
)
from services.catalog.models import (
    Campaign,
    CompatibilityRule,
    CrossSell,
    DeviceOverride,
    Product,
    db,
)
from shared.tenancy import require_tenant

log = structlog.get_logger(__name__)


# -- import -------------------------------------------------------------------


def import_catalog(
    cache: CatalogCache | None,
    *,
    settings: dict[str, Any],
    products: list[dict],
    rules: list[dict] | None = None,
    cross_sell: list[dict] | None = None,
    campaigns: list[dict] | None = None,
) -> pack_import.ImportSummary:
    """Check the sections whole, then upsert them in one transaction."""
    tenant = require_tenant()
    rules, cross_sell, campaigns = rules or [], cross_sell or [], campaigns or []
    errors = pack_shapes.shape_errors(
        {
            "settings": settings,
            "products": products,
            "rules": rules,
            "cross_sell": cross_sell,
            "campaigns": campaigns,
        }
    ) or pack_import.check_sections(settings, products, rules, cross_sell, campaigns)
    if errors:
        raise CatalogPackRefused(
            f"{len(errors)} problem(s); nothing was imported", errors=errors
        )

    session = db.session
    try:
        _one_import_at_a_time(session, tenant.id)
        summary = pack_import.apply_sections(
            session, settings, products, rules, cross_sell, campaigns
        )
        _untracked_esims(session, products)
        search.index_for_search(session, list(session.scalars(select(Product))))
        session.commit()
    except Exception:
        session.rollback()
        raise

    if cache is not None:
        cache.invalidate(tenant.id)
    log.info(
        "catalog_imported",
        created=summary.products_created,
        updated=summary.products_updated,
        retired=summary.products_retired,
    )
    return summary


def _one_import_at_a_time(session, tenant_id: str) -> None:
    """Two admins importing at once would race on the same codes: queue them."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite serialises writers already
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": zlib.crc32(f"catalog-import:{tenant_id}".encode())},
        execution_options={"raw_sql_reason": "per-tenant import lock"},
    )


def _untracked_esims(session, products: list[dict]) -> None:
    """An eSIM is a profile, not a box: its SKU is untracked, said explicitly."""
    for item in products:
        is_esim = item.get("type") == "sim" and (item.get("attributes") or {}).get(
            "esim"
        )
        if is_esim and not item.get("variants"):
            pack_import.ensure_stock_level(session, item["code"], False, 0)


# -- pricing ------------------------------------------------------------------


def effective_price(
    code: str,
    *,
    channel: str | None,
    at: datetime | None = None,
    price_id: int | None = None,
    sku: str | None = None,
    price_type: str | None = None,
    term_months: int | None = None,
    lines: int = 1,
) -> dict[str, Any]:
    """What a price option of a product costs on a channel at a moment."""
    tax = pricing.TaxRule.of(storefront.catalog_settings())
    product = storefront.load_product(code)
    at = at or datetime.now(UTC)

    if sku:
        variant = next((v for v in product.variants if v.sku == sku), None)
        if variant is None:
            raise PriceOptionNotFound(f"{code!r} has no SKU {sku!r}")
        options = pricing.prices_on_channel(variant.prices, channel)
    else:
        options = pricing.prices_on_channel(product.prices, channel)

    if price_id is not None:
        options = [p for p in options if p.id == price_id]
    if price_type:
        options = [p for p in options if p.type == price_type]
    if term_months:
        options = [p for p in options if p.term_months == term_months]
    if not options:
        raise PriceOptionNotFound(f"no such price option for {code!r}")
    if len(options) > 1:
        raise PriceOptionAmbiguous(
            "pick one with price_id, or price_type and term_months",
            errors=[
                {
                    "field": "price_id",
                    "location": "query",
                    "message": "one of " + ", ".join(str(p.id) for p in options),
                }
            ],
        )

    campaigns = list(db.session.scalars(select(Campaign)))
    answer = pricing.effective_price(
        product, options[0], campaigns, tax, channel, at, lines
    )
    db.session.commit()
    return answer


def running_campaigns(channel: str, at: datetime | None = None) -> list[dict]:
    """The campaigns on ``channel`` at ``at`` (now by default), pack-shaped.

    Whether one reaches a given product or basket (codes, types, minimum
    lines) is left to the caller, which knows the basket.
    """
    at = at or datetime.now(UTC)
    running = [
        campaign
        for campaign in db.session.scalars(select(Campaign).order_by(Campaign.code))
        if (not campaign.channels or channel in campaign.channels)
        and pricing.aware(campaign.valid_from) <= pricing.aware(at)
        and pricing.aware(at) <= pricing.aware(campaign.valid_to)
    ]
    db.session.commit()
    return [_pack_shaped(campaign) for campaign in running]


def _pack_shaped(campaign: Campaign) -> dict[str, Any]:
    discount = {
        key: value
        for key, value in (
            ("percent", campaign.percent),
            ("amount", campaign.amount),
            ("months", campaign.months),
        )
        if value is not None
    }
    discount["on"] = "recurring" if campaign.on_recurring else "one_time"
    return {
        "code": campaign.code,
        "name": campaign.name,
        "applies_to": {
            "codes": list(campaign.applies_to_codes or []),
            "types": list(campaign.applies_to_types or []),
        },
        "discount": discount,
        "condition": dict(campaign.conditions or {}),
        "channels": list(campaign.channels or []),
        "valid": {
            "from": pricing.aware(campaign.valid_from).isoformat(),
            "to": pricing.aware(campaign.valid_to).isoformat(),
        },
    }


# -- compatibility and serviceability -------------------------------------------


def check_basket(bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """Every broken rule per bundle, with the brand's message, and suggestions."""
    codes = {line["code"] for b in bundles for line in b["lines"]}
    products = {
        p.code: p
        for p in db.session.scalars(select(Product).where(Product.code.in_(codes)))
    }
    rules = list(db.session.scalars(select(CompatibilityRule)))
    names = {
        row.code: row.name
        for row in db.session.execute(select(Product.code, Product.name))
    }

    broken = []
    for index, bundle in enumerate(bundles):
        bundle_id = bundle.get("id") or f"bundle-{index + 1}"
        lines = [
            compatibility.BasketLine(
                code=line["code"],
                sku=line.get("sku"),
                price_type=line.get("price_type"),
                product=products.get(line["code"]),
            )
            for line in bundle["lines"]
        ]
        broken += compatibility.check_bundle(bundle_id, lines, rules, names)

    active = set(
        db.session.scalars(select(Product.code).where(Product.lifecycle == "active"))
    )
    suggested = compatibility.suggestions(
        codes, list(db.session.scalars(select(CrossSell))), active
    )
    for entry in suggested:
        entry["name"] = names.get(entry["code"])
    db.session.commit()
    return {"compatible": not broken, "broken_rules": broken, "suggestions": suggested}


def serviceability(code: str, postcode: str) -> dict[str, Any]:
    product = storefront.load_product(code)
    if product.type != "broadband" or product.postcode_prefixes is None:
        raise NotServiceable(f"{code!r} is not sold by postcode")
    area = compatibility.area_of(postcode)
    db.session.commit()
    return {
        "product": code,
        "postcode": postcode.upper(),
        "area": area,
        "available": area in product.postcode_prefixes,
    }


# -- device master data --------------------------------------------------------


def refresh_device_master(client: device_master.DeviceMasterClient) -> dict[str, Any]:
    """Fetch the external feed; store it if live, else keep what is stored."""
    result = client.fetch()
    stored = 0
    if result.live:
        try:
            stored = device_master.sync_device_master(db.session, result)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return {
        "live": result.live,
        "devices": len(result.items),
        "stored": stored,
        "fetched_at": result.fetched_at.isoformat(),
    }


def override_device(
    cache: CatalogCache | None, gtin: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Set this brand's own name, description or images for a shared device."""
    tenant = require_tenant()
    row = db.session.scalars(
        select(DeviceOverride).where(DeviceOverride.gtin == gtin)
    ).first()
    if row is None:
        row = DeviceOverride(gtin=gtin)
        db.session.add(row)
    for name in ("name", "description", "images"):
        if name in fields:
            setattr(row, name, fields[name])
    db.session.commit()

    if cache is not None:
        cache.invalidate(tenant.id)
    return {
        "gtin": gtin,
        "name": row.name,
        "description": row.description,
        "images": row.images,
    }


# -- inventory ------------------------------------------------------------------


def reserve_stock(
    order_id: str, line_id: str, sku: str, quantity: int
) -> inventory.ReservationOutcome:
    try:
        outcome = inventory.reserve_line(
            db.session,
            order_id=order_id,
            line_id=line_id,
            sku=sku,
            quantity=quantity,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


def release_stock(order_id: str, line_id: str) -> bool:
    try:
        released = inventory.release_line(
            db.session, order_id=order_id, line_id=line_id
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return released


def sweep_expired_reservations(now: datetime | None = None) -> int:
    """Release every held reservation past its expiry, one commit per line.

    Each release goes out as ``catalog.stock_released`` in the same commit.
    """
    released = 0
    for order_id, line_id in inventory.expired_reservations(db.session, now):
        try:
            if inventory.release_line(
                db.session, order_id=order_id, line_id=line_id, status="expired"
            ):
                released += 1
                stock_events.announce_release(db.session, order_id, 1, "expired")
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    db.session.commit()
    return released


def adjust_stock(sku: str, delta: int, reason: str) -> dict[str, Any]:
    """Restock or write off units; the change goes out as an event."""
    try:
        on_hand = inventory.adjust_stock(db.session, sku, delta, reason)
        stock_events.announce_stock_change(db.session, sku, delta, on_hand, reason)
        db.session.commit()
    except inventory.StockNotAdjustable as exc:
        db.session.rollback()
        raise StockNotAdjustable(str(exc)) from None
    except Exception:
        db.session.rollback()
        raise
    return {"sku": sku, "on_hand": on_hand}
