"""Storefront reads: product pages and listings, cached per tenant.

Use cases like those in ``service``; each ends its own (read-only)
transaction. Answers are plain dicts, cached per tenant with the tenant id
leading every key, so a repeat costs a cache lookup and an ETag hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.catalog import pricing, search
from services.catalog.cache import CatalogCache
from services.catalog.errors import CatalogNotImported, ProductNotFound
from services.catalog.models import (
    CatalogSettings,
    DeviceMaster,
    DeviceOverride,
    Price,
    Product,
    StockLevel,
    Variant,
    db,
)
from shared.tenancy import require_tenant


def catalog_settings() -> CatalogSettings:
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

    tax = pricing.TaxRule.of(catalog_settings())
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


def load_product(code: str) -> Product:
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
    """The product with variants and prices (tax both ways), and its ETag.

    The product itself comes from the cache; availability is read live (one
    indexed query), since reservations change it far more often than the
    catalog changes.
    """
    tenant = require_tenant()
    name = _cache_name("detail", {"code": code, "channel": channel})
    cached = cache.get(tenant.id, name) if cache else None
    if cached is None:
        cached = _detail(code, channel)
        if cache:
            cache.set(tenant.id, name, cached)
    body = _with_availability(cached)
    db.session.commit()
    return body, etag_of(body)


def _with_availability(detail: dict[str, Any]) -> dict[str, Any]:
    skus = [variant["sku"] for variant in detail["variants"]]
    levels = (
        {
            level.sku: level
            for level in db.session.scalars(
                select(StockLevel).where(StockLevel.sku.in_(skus))
            )
        }
        if skus
        else {}
    )
    variants = [
        {**variant, "in_stock": _in_stock(levels.get(variant["sku"]))}
        for variant in detail["variants"]
    ]
    return {**detail, "variants": variants}


def etag_of(body: Any) -> str:
    """A strong validator of an answer's content."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def _detail(code: str, channel: str | None) -> dict[str, Any]:
    settings = catalog_settings()
    tax = pricing.TaxRule.of(settings)
    product = load_product(code)
    if channel and channel in (product.hidden_channels or []):
        raise ProductNotFound(f"{code!r} is not sold on {channel!r}")

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
