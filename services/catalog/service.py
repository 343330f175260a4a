"""The catalog service's use cases; each owns its transaction.

Views and event handlers call these; the modules beside this one
(``pack_import``, ``search``, ``pricing``, ``compatibility``, ``inventory``)
hold the rules and never commit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.catalog import (
    compatibility,
    device_master,
    inventory,
    pack_import,
    pricing,
    search,
)
from services.catalog.cache import CatalogCache
from services.catalog.errors import (
    CatalogNotImported,
    CatalogPackRefused,
    NotServiceable,
    PriceOptionAmbiguous,
    PriceOptionNotFound,
    ProductNotFound,
)
from services.catalog.models import (
    Campaign,
    CatalogSettings,
    CompatibilityRule,
    CrossSell,
    DeviceMaster,
    DeviceOverride,
    Price,
    Product,
    StockLevel,
    Variant,
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
    errors = pack_import.check_sections(
        settings, products, rules, cross_sell, campaigns
    )
    if errors:
        raise CatalogPackRefused(
            f"{len(errors)} problem(s); nothing was imported", errors=errors
        )

    session = db.session
    try:
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


def _untracked_esims(session, products: list[dict]) -> None:
    """An eSIM is a profile, not a box: its SKU is untracked, said explicitly."""
    for item in products:
        is_esim = item.get("type") == "sim" and (item.get("attributes") or {}).get(
            "esim"
        )
        if is_esim and not item.get("variants"):
            pack_import._ensure_stock_level(session, item["code"], False, 0)


# -- storefront reads ---------------------------------------------------------


def _settings() -> CatalogSettings:
    row = db.session.scalars(select(CatalogSettings)).first()
    if row is None:
        raise CatalogNotImported()
    return row


def _cache_name(kind: str, params: dict[str, Any]) -> str:
    digest = hashlib.sha256(
        json.dumps(params, sort_keys=True, default=str).encode()
    ).hexdigest()[:24]
    return f"{kind}:{digest}"


def list_products(
    cache: CatalogCache | None,
    query: search.ListingQuery,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """One page of product summaries, the total and facet counts."""
    tenant = require_tenant()
    name = _cache_name("list", {**query.__dict__, "p": page, "s": page_size})
    cached = cache.get(tenant.id, name) if cache else None
    if cached is not None:
        return cached

    tax = pricing.TaxRule.of(_settings())
    listing = search.list_products(db.session, query)
    start = (page - 1) * page_size
    page_ids = listing.product_ids[start : start + page_size]
    by_id = {
        p.id: p
        for p in db.session.scalars(select(Product).where(Product.id.in_(page_ids)))
    }
    result = {
        "items": [_summary(by_id[i], tax) for i in page_ids],
        "total": len(listing.product_ids),
        "facets": listing.facets,
    }
    db.session.commit()
    if cache:
        cache.set(tenant.id, name, result)
    return result


def _summary(product: Product, tax: pricing.TaxRule) -> dict[str, Any]:
    return {
        "code": product.code,
        "type": product.type,
        "name": product.name,
        "brand": product.brand,
        "attributes": product.attributes,
        "tags": product.tags,
        "lifecycle": product.lifecycle,
        "price_today_from": _maybe_tax(tax, product.price_today_from),
        "price_monthly_from": _maybe_tax(tax, product.price_monthly_from),
    }


def _maybe_tax(tax: pricing.TaxRule, amount: int | None) -> dict[str, int] | None:
    return None if amount is None else tax.both_ways(amount)


def _load_product(code: str) -> Product:
    product = db.session.scalars(
        select(Product)
        .where(Product.code == code)
        .options(
            selectinload(Product.variants).selectinload(Variant.prices),
            selectinload(Product.prices),
        )
    ).first()
    if product is None:
        raise ProductNotFound(f"no product {code!r}")
    return product


def product_detail(
    cache: CatalogCache | None, code: str, channel: str | None
) -> tuple[dict[str, Any], str]:
    """The product with variants and prices (tax both ways), and its ETag."""
    tenant = require_tenant()
    name = _cache_name("detail", {"code": code, "channel": channel})
    cached = cache.get(tenant.id, name) if cache else None
    if cached is None:
        cached = _detail(code, channel)
        db.session.commit()
        if cache:
            cache.set(tenant.id, name, cached)
    etag = hashlib.sha256(json.dumps(cached, sort_keys=True).encode()).hexdigest()
    return cached, etag[:32]


def _detail(code: str, channel: str | None) -> dict[str, Any]:
    settings = _settings()
    tax = pricing.TaxRule.of(settings)
    product = _load_product(code)
    if channel and channel in (product.hidden_channels or []):
        raise ProductNotFound(f"{code!r} is not sold on {channel!r}")

    stock = {
        s.sku: s
        for s in db.session.scalars(
            select(StockLevel).where(
                StockLevel.sku.in_([v.sku for v in product.variants])
            )
        )
    }
    devices = _device_records([v.gtin for v in product.variants if v.gtin])
    body = _summary(product, tax)
    body.update(
        currency=settings.currency,
        tax={
            "rate_percent": settings.tax_rate_percent,
            "prices_include_tax": settings.prices_include_tax,
        },
        requires=product.requires,
        serviceable_areas=product.postcode_prefixes,
        prices=[
            _price(p, tax) for p in pricing.prices_on_channel(product.prices, channel)
        ],
        variants=[
            {
                "sku": v.sku,
                "gtin": v.gtin,
                "attributes": v.attributes,
                "preorder": v.preorder,
                "expected_on": v.expected_on.isoformat() if v.expected_on else None,
                "in_stock": _in_stock(stock.get(v.sku)),
                "device": devices.get(v.gtin),
                "prices": [
                    _price(p, tax) for p in pricing.prices_on_channel(v.prices, channel)
                ],
            }
            for v in product.variants
        ],
    )
    return body


def _in_stock(level: StockLevel | None) -> bool:
    return level is not None and (not level.tracked or level.on_hand > 0)


def _price(price: Price, tax: pricing.TaxRule) -> dict[str, Any]:
    return {
        "id": price.id,
        "type": price.type,
        "currency": price.currency,
        "period": price.period,
        "term_months": price.term_months,
        "channel": price.channel,
        **tax.both_ways(price.amount),
    }


def _device_records(gtins: list[str]) -> dict[str, dict[str, Any]]:
    """Shared device master data with this brand's overrides on top."""
    if not gtins:
        return {}
    masters = db.session.scalars(
        select(DeviceMaster).where(DeviceMaster.gtin.in_(gtins))
    ).all()
    overrides = {
        o.gtin: o
        for o in db.session.scalars(
            select(DeviceOverride).where(DeviceOverride.gtin.in_(gtins))
        )
    }
    records = {}
    for master in masters:
        override = overrides.get(master.gtin)
        records[master.gtin] = {
            "name": (override and override.name)
            or f"{master.manufacturer} {master.model}",
            "description": override.description if override else None,
            "images": (override.images if override else None) or [],
            "manufacturer": master.manufacturer,
            "storage_gb": master.storage_gb,
            "network": master.network,
            "esim": master.esim,
            "rrp": {"amount": master.rrp_amount, "currency": master.rrp_currency},
        }
    return records


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
    tax = pricing.TaxRule.of(_settings())
    product = _load_product(code)
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
    product = _load_product(code)
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
    stored = device_master.sync_device_master(db.session, result) if result.live else 0
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
    announce = _release_announcer()
    released = 0
    for order_id, line_id in inventory.expired_reservations(db.session, now):
        try:
            if inventory.release_line(
                db.session, order_id=order_id, line_id=line_id, status="expired"
            ):
                released += 1
                announce(db.session, order_id, 1, "expired")
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    db.session.commit()
    return released


def _release_announcer():
    try:
        from services.catalog.events import announce_release
    except ImportError:  # TODO: drop once shared.events is merged in this branch
        log.warning("stock_events_unavailable", reason="shared.events missing")
        return lambda *args: None
    return announce_release
