"""Import of a brand pack's catalog sections: checked whole, then upserted.

The brand-pack validator in ``shared/brandpack`` checks a whole file; this
module checks only what the catalog itself relies on (types, amounts, unique
codes and SKUs, rules and campaigns naming products that exist) and writes
nothing unless every check passes. Importing the same pack again updates the
rows in place, keyed by product code, SKU, rule id and campaign code; products
missing from a later pack are retired, never deleted, so old orders and
baskets can still read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.models import (
    PRICE_TYPES,
    PRODUCT_TYPES,
    Campaign,
    CatalogSettings,
    CompatibilityRule,
    CrossSell,
    Price,
    Product,
    StockLevel,
    Variant,
)

KNOWN_CURRENCIES = {"GBP", "EUR", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK"}
UNTRACKED_TYPES = {"sim", "plan", "addon", "broadband"}


@dataclass
class ImportSummary:
    products_created: int = 0
    products_updated: int = 0
    products_retired: int = 0
    variants: int = 0
    prices: int = 0
    rules: int = 0
    campaigns: int = 0
    cross_sell: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)


class PackProblems(Exception):
    """The sections break catalog rules; ``errors`` names each by its path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the catalog sections")
        self.errors = errors


def check_sections(
    settings: dict[str, Any],
    products: list[dict],
    rules: list[dict],
    cross_sell: list[dict],
    campaigns: list[dict],
) -> list[dict[str, str]]:
    """Every problem the catalog would trip over, each with its path."""
    errors: list[dict[str, str]] = []

    def problem(path: str, message: str) -> None:
        errors.append({"field": path, "location": "json", "message": message})

    currency = settings.get("currency")
    if currency not in KNOWN_CURRENCIES:
        problem("settings.currency", f"unknown currency {currency!r}")
    rate = (settings.get("tax") or {}).get("rate_percent")
    if not isinstance(rate, int) or not 0 <= rate <= 100:
        problem("settings.tax.rate_percent", "must be a whole percent 0..100")

    codes: dict[str, str] = {}
    skus: set[str] = set()
    for i, item in enumerate(products or []):
        path = f"products[{i}]"
        code = item.get("code")
        if not code or not isinstance(code, str):
            problem(f"{path}.code", "missing product code")
        elif code in codes:
            problem(f"{path}.code", f"duplicate product code {code!r}")
        else:
            codes[code] = item.get("type")
        if item.get("type") not in PRODUCT_TYPES:
            problem(f"{path}.type", f"unknown product type {item.get('type')!r}")
        if not item.get("name"):
            problem(f"{path}.name", "missing name")
        _check_prices(item.get("prices") or [], f"{path}.prices", problem)

        for j, variant in enumerate(item.get("variants") or []):
            vpath = f"{path}.variants[{j}]"
            sku = variant.get("sku")
            if not sku:
                problem(f"{vpath}.sku", "missing SKU")
            elif sku in skus:
                problem(f"{vpath}.sku", f"duplicate SKU {sku!r}")
            skus.add(sku)
            stock = variant.get("stock", 0)
            if not isinstance(stock, int) or stock < 0:
                problem(f"{vpath}.stock", "stock must be a whole number >= 0")
            _check_prices(variant.get("prices") or [], f"{vpath}.prices", problem)
            try:
                _date_or_none(variant.get("expected_on"))
            except ValueError:
                problem(f"{vpath}.expected_on", "must be an ISO date")

    for i, item in enumerate(products or []):
        for j, code in enumerate((item.get("requires") or {}).get("any_of_codes", [])):
            if code not in codes:
                problem(f"products[{i}].requires.any_of_codes[{j}]", _unknown(code))

    for i, rule in enumerate(rules or []):
        path = f"rules[{i}]"
        if not rule.get("id"):
            problem(f"{path}.id", "missing rule id")
        if not rule.get("message"):
            problem(f"{path}.message", "missing message")
        when = rule.get("when") or {}
        for j, code in enumerate(when.get("codes", [])):
            if code not in codes:
                problem(f"{path}.when.codes[{j}]", _unknown(code))
        for j, code in enumerate((rule.get("require") or {}).get("any_of_codes", [])):
            if code not in codes:
                problem(f"{path}.require.any_of_codes[{j}]", _unknown(code))

    for i, entry in enumerate(cross_sell or []):
        if entry.get("from") not in codes:
            problem(f"cross_sell[{i}].from", _unknown(entry.get("from")))
        for j, code in enumerate(entry.get("to") or []):
            if code not in codes:
                problem(f"cross_sell[{i}].to[{j}]", _unknown(code))

    seen_campaigns: set[str] = set()
    for i, campaign in enumerate(campaigns or []):
        path = f"campaigns[{i}]"
        code = campaign.get("code")
        if not code or code in seen_campaigns:
            problem(f"{path}.code", f"missing or duplicate campaign code {code!r}")
        seen_campaigns.add(code)
        for j, pcode in enumerate((campaign.get("applies_to") or {}).get("codes", [])):
            if pcode not in codes:
                problem(f"{path}.applies_to.codes[{j}]", _unknown(pcode))
        discount = campaign.get("discount") or {}
        if ("percent" in discount) == ("amount" in discount):
            problem(f"{path}.discount", "give exactly one of percent or amount")
        if not 0 < discount.get("percent", 1) <= 100:
            problem(f"{path}.discount.percent", "must be 1..100")
        if discount.get("amount", 0) < 0:
            problem(f"{path}.discount.amount", "must not be negative")
        try:
            valid_from, valid_to = _window(campaign)
            if valid_to <= valid_from:
                problem(f"{path}.valid.to", "the window ends before it starts")
        except (KeyError, TypeError, ValueError):
            problem(f"{path}.valid", "needs ISO 'from' and 'to' timestamps")

    return errors


def _unknown(code: Any) -> str:
    return f"names product {code!r}, which is not in the pack"


def _check_prices(prices: list[dict], path: str, problem) -> None:
    for k, price in enumerate(prices):
        if price.get("type") not in PRICE_TYPES:
            problem(f"{path}[{k}].type", f"unknown price type {price.get('type')!r}")
        amount = price.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            problem(f"{path}[{k}].amount", "amount must be whole minor units >= 0")
        if price.get("type") in ("recurring", "instalment"):
            term = price.get("term_months")
            if not isinstance(term, int) or term < 1:
                problem(f"{path}[{k}].term_months", "term must be >= 1 month")


def _window(campaign: dict) -> tuple[datetime, datetime]:
    valid = campaign["valid"]
    return _timestamp(valid["from"]), _timestamp(valid["to"])


def _timestamp(value: Any) -> datetime:
    moment = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class _Existing:
    """The tenant's catalog rows, loaded once so that the upsert needs no
    query per product, variant or price."""

    products: dict[str, Product]
    variants: dict[str, Variant]
    prices: dict[tuple, Price]
    stock: dict[str, StockLevel]

    @classmethod
    def load(cls, session: Session) -> _Existing:
        return cls(
            products={p.code: p for p in session.scalars(select(Product))},
            variants={v.sku: v for v in session.scalars(select(Variant))},
            prices={_owned_key(p): p for p in session.scalars(select(Price))},
            stock={s.sku: s for s in session.scalars(select(StockLevel))},
        )


def _owned_key(price: Price) -> tuple:
    return (
        price.product_id,
        price.variant_id,
        price.type,
        price.term_months,
        price.channel,
    )


def apply_sections(
    session: Session,
    settings: dict[str, Any],
    products: list[dict],
    rules: list[dict],
    cross_sell: list[dict],
    campaigns: list[dict],
) -> ImportSummary:
    """Upsert checked sections into the tenant's catalog. Does not commit."""
    summary = ImportSummary()
    currency = settings["currency"]
    _upsert_settings(session, settings)
    existing = _Existing.load(session)

    placed: list[tuple[Product, dict]] = []
    for item in products:
        product = existing.products.pop(item["code"], None)
        if product is None:
            product = Product(code=item["code"])
            session.add(product)
            summary.products_created += 1
        else:
            summary.products_updated += 1
        _fill_product(product, item)
        derive_listing_fields(product, item)
        placed.append((product, item))
    for leftover in existing.products.values():
        leftover.lifecycle = "retired"
        summary.products_retired += 1
    session.flush()  # product ids for variants and prices

    placed_variants = _sync_variants(session, existing, placed)
    summary.variants = len(placed_variants)
    session.flush()  # variant ids for their prices

    owners = [(product.id, None, item.get("prices")) for product, item in placed]
    owners += [(p.id, v.id, data.get("prices")) for p, v, data in placed_variants]
    for product_id, variant_id, prices in owners:
        summary.prices += _sync_prices(
            session, existing, product_id, variant_id, prices or [], currency
        )
    synced = {(product_id, variant_id) for product_id, variant_id, _ in owners}
    for key, stale in existing.prices.items():
        if key[:2] in synced:
            session.delete(stale)

    summary.rules = _sync_rules(session, rules)
    summary.cross_sell = _sync_cross_sell(session, cross_sell)
    summary.campaigns = _sync_campaigns(session, campaigns)
    session.flush()
    return summary


def _upsert_settings(session: Session, settings: dict[str, Any]) -> None:
    row = session.scalars(select(CatalogSettings)).first()
    if row is None:
        row = CatalogSettings()
        session.add(row)
    tax = settings.get("tax") or {}
    row.currency = settings["currency"]
    row.tax_rate_percent = tax.get("rate_percent", 0)
    row.prices_include_tax = bool(tax.get("prices_include_tax", True))
    row.channels = [c["code"] for c in settings.get("channels") or []]


def _fill_product(product: Product, item: dict) -> None:
    product.type = item["type"]
    product.name = item["name"]
    product.brand = item.get("brand")
    product.attributes = dict(item.get("attributes") or {})
    product.tags = list(item.get("tags") or [])
    product.lifecycle = item.get("lifecycle", "active")
    product.requires = item.get("requires")
    product.postcode_prefixes = (item.get("serviceability") or {}).get(
        "postcode_prefixes"
    )
    product.hidden_channels = list(item.get("hidden_channels") or [])


def _sync_variants(
    session: Session, existing: _Existing, placed: list[tuple[Product, dict]]
) -> list[tuple[Product, Variant, dict]]:
    synced = []
    for product, item in placed:
        for data in item.get("variants") or []:
            variant = existing.variants.pop(data["sku"], None)
            if variant is None:
                variant = Variant(sku=data["sku"])
                session.add(variant)
            variant.product_id = product.id
            variant.gtin = data.get("gtin")
            variant.attributes = dict(data.get("attributes") or {})
            variant.stock_tracked = data.get("stock_tracked", True)
            variant.preorder = bool(data.get("preorder", False))
            variant.expected_on = _date_or_none(data.get("expected_on"))
            ensure_stock_level(
                session,
                variant.sku,
                variant.stock_tracked,
                data.get("stock", 0),
                known=existing.stock,
            )
            synced.append((product, variant, data))
    return synced


def _date_or_none(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def ensure_stock_level(
    session: Session,
    sku: str,
    tracked: bool,
    stock: int,
    known: dict[str, StockLevel] | None = None,
) -> None:
    """Stock comes from the pack only for a new SKU: live stock is never reset."""
    if known is not None:
        level = known.get(sku)
    else:
        level = session.scalars(select(StockLevel).where(StockLevel.sku == sku)).first()
    if level is None:
        level = StockLevel(sku=sku, tracked=tracked, on_hand=stock)
        session.add(level)
        if known is not None:
            known[sku] = level
    else:
        level.tracked = tracked


def _sync_prices(
    session: Session,
    existing: _Existing,
    product_id: int,
    variant_id: int | None,
    prices: list[dict],
    currency: str,
) -> int:
    """Prices keep their ids across imports, matched by type, term and channel."""
    for data in prices:
        key = (
            product_id,
            variant_id,
            data["type"],
            data.get("term_months"),
            data.get("channel"),
        )
        price = existing.prices.pop(key, None)
        if price is None:
            price = Price(
                product_id=product_id,
                variant_id=variant_id,
                type=data["type"],
                term_months=data.get("term_months"),
                channel=data.get("channel"),
            )
            session.add(price)
        price.amount = data["amount"]
        price.currency = data.get("currency", currency)
        price.period = data.get("period") or (
            "month" if data["type"] != "one_time" else None
        )
        price.hidden = bool(data.get("hidden", False))
    return len(prices)


def derive_listing_fields(product: Product, item: dict) -> None:
    """Fill the columns that filters, sorting and search read."""
    attributes = product.attributes or {}
    product.is_5g = str(attributes.get("network", "")).upper() == "5G"
    product.has_esim = attributes.get("esim") is True
    product.unlimited_data = product.type == "plan" and (
        "data_gb" in attributes and attributes["data_gb"] is None
    )
    data_gb = attributes.get("data_gb")
    product.data_gb = data_gb if isinstance(data_gb, int) else None

    all_prices = list(item.get("prices") or [])
    for variant in item.get("variants") or []:
        all_prices.extend(variant.get("prices") or [])
    base = [p for p in all_prices if not p.get("channel")]
    today = [p["amount"] for p in base if p["type"] == "one_time"]
    monthly = [p["amount"] for p in base if p["type"] != "one_time"]
    product.price_today_from = min(today) if today else None
    product.price_monthly_from = min(monthly) if monthly else None

    words = [product.name, product.brand or "", product.code, *product.tags]
    words += [str(v) for v in attributes.values() if v is not None]
    for variant in item.get("variants") or []:
        words += [str(v) for v in (variant.get("attributes") or {}).values()]
    if product.unlimited_data:
        words.append("unlimited")
    product.search_text = " ".join(dict.fromkeys(w for w in words if w))


def _sync_rules(session: Session, rules: list[dict]) -> int:
    current = {r.code: r for r in session.scalars(select(CompatibilityRule))}
    for data in rules:
        rule = current.pop(data["id"], None) or CompatibilityRule(code=data["id"])
        session.add(rule)
        rule.when = data.get("when") or {}
        rule.require = data.get("require")
        rule.forbid_with = data.get("forbid_with")
        rule.message = data["message"]
    for stale in current.values():
        session.delete(stale)
    return len(rules)


def _sync_cross_sell(session: Session, entries: list[dict]) -> int:
    current = {c.from_code: c for c in session.scalars(select(CrossSell))}
    for data in entries:
        row = current.pop(data["from"], None) or CrossSell(from_code=data["from"])
        session.add(row)
        row.to_codes = list(data.get("to") or [])
    for stale in current.values():
        session.delete(stale)
    return len(entries)


def _sync_campaigns(session: Session, campaigns: list[dict]) -> int:
    current = {c.code: c for c in session.scalars(select(Campaign))}
    for data in campaigns:
        row = current.pop(data["code"], None) or Campaign(code=data["code"])
        session.add(row)
        applies_to = data.get("applies_to") or {}
        discount = data.get("discount") or {}
        row.name = data.get("name") or data["code"]
        row.applies_to_codes = list(applies_to.get("codes") or [])
        row.applies_to_types = list(applies_to.get("types") or [])
        row.percent = discount.get("percent")
        row.amount = discount.get("amount")
        row.months = discount.get("months")
        row.on_recurring = discount.get("on") == "recurring" or bool(row.months)
        row.valid_from, row.valid_to = _window(data)
        row.channels = list(data.get("channels") or [])
        row.conditions = dict(data.get("condition") or {})
    for stale in current.values():
        session.delete(stale)
    return len(campaigns)
