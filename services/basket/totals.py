"""A basket as the shopper sees it: lines, flags, broken rules and two totals.

Reads the catalog (through ``CatalogClient``) for current prices, stock,
lifecycle, rules and campaigns; stores nothing. ``pricing`` does the sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.basket import pricing
from services.basket.catalog_client import (
    OUT_OF_STOCK,
    RETIRED,
    BrokenRule,
    CatalogClient,
    UnknownOffer,
)
from services.basket.models import (
    BROADBAND,
    MOBILE,
    Basket,
    BasketLine,
    BrandTerms,
    PromotionCode,
)


@dataclass
class LinePrice:
    """A line's current unit prices (or frozen ones) and what stops checkout."""

    monthly: int
    one_time: int
    flags: list[str] = field(default_factory=list)
    offer_type: str | None = None


def current_line_price(
    line: BasketLine, catalog: CatalogClient, channel: str, frozen: bool
) -> LinePrice:
    """What the catalog asks for this line now; frozen baskets keep their prices."""
    try:
        offer = catalog.offer(line.product_code, line.sku, channel)
    except UnknownOffer:
        return LinePrice(line.shown_monthly, line.shown_one_time, ["withdrawn"])

    flags = []
    if offer.lifecycle == RETIRED:
        flags.append("retired")
    if offer.stock_state == OUT_OF_STOCK:
        flags.append("out_of_stock")
    if frozen:
        return LinePrice(line.shown_monthly, line.shown_one_time, flags, offer.type)

    option = offer.price(line.price_type, line.term_months)
    if option is None:
        flags.append("price_option_withdrawn")
        return LinePrice(line.shown_monthly, line.shown_one_time, flags, offer.type)

    monthly, one_time = 0, 0
    if line.price_type == pricing.ONE_TIME:
        one_time = option.amount
    else:
        monthly = option.amount
        fee = offer.price(pricing.ONE_TIME, None)
        if fee is not None and line.product_type == "broadband":
            one_time = fee.amount
    return LinePrice(monthly, one_time, flags, offer.type)


BLOCKING_FLAGS = {"retired", "out_of_stock", "withdrawn", "price_option_withdrawn"}


def charge_for(line: BasketLine, price: LinePrice) -> pricing.Charge:
    kind = None if line.price_type == pricing.ONE_TIME else line.price_type
    return pricing.Charge(
        line_id=str(line.id),
        bundle_id=line.bundle_id,
        one_time=price.one_time * line.quantity,
        monthly=price.monthly * line.quantity,
        monthly_kind=kind,
        term_months=line.term_months,
    )


def phone_lines(basket: Basket) -> list:
    return [b for b in basket.bundles if b.kind == MOBILE]


def promotion_verdict(
    promo: PromotionCode | None,
    basket: Basket,
    now: datetime,
    redeemed_by_customer: bool = False,
) -> str | None:
    """Why a code does not apply now, or None when it does."""
    if promo is None:
        return "unknown"
    if promo.valid_from and now < promo.valid_from:
        return "not_started"
    if promo.valid_to and now > promo.valid_to:
        return "ended"
    if promo.max_redemptions is not None and promo.redeemed >= promo.max_redemptions:
        return "used_up"
    if promo.min_lines and len(phone_lines(basket)) < promo.min_lines:
        return f"needs_{promo.min_lines}_lines"
    if promo.once_per_customer and redeemed_by_customer:
        return "already_used"
    return None


def promotion_discount(promo: PromotionCode, basket: Basket) -> pricing.Discount:
    bundles = phone_lines(basket) or list(basket.bundles)
    if promo.applies == "each_line_after_first":
        bundles = bundles[1:]
    line_ids = frozenset(str(line.id) for b in bundles for line in b.lines)
    return pricing.Discount(
        source=f"code:{promo.code}",
        kind="promotion",
        line_ids=line_ids,
        on=promo.on,
        percent=promo.percent,
        amount=promo.amount,
        months=promo.months,
    )


def campaign_discounts(
    basket: Basket, catalog: CatalogClient, at: datetime
) -> tuple[list[pricing.Discount], list[dict[str, str]]]:
    discounts, shown = [], []
    for campaign in catalog.campaigns(basket.channel, at):
        if campaign.min_lines and len(phone_lines(basket)) < campaign.min_lines:
            continue
        line_ids = frozenset(
            str(line.id)
            for bundle in basket.bundles
            for line in bundle.lines
            if campaign.reaches(line.product_code, line.product_type)
        )
        if not line_ids:
            continue
        discounts.append(
            pricing.Discount(
                source=f"campaign:{campaign.code}",
                kind="campaign",
                line_ids=line_ids,
                on=campaign.on,
                percent=campaign.percent,
                amount=campaign.amount,
                months=campaign.months,
            )
        )
        shown.append({"code": campaign.code, "name": campaign.name})
    return discounts, shown


def bundle_payload(basket: Basket) -> list[dict[str, Any]]:
    """The bundles as the catalog's compatibility check reads them."""
    return [
        {
            "id": bundle.id,
            "lines": [
                {
                    "code": line.product_code,
                    "sku": line.sku,
                    "price_type": line.price_type,
                    "term_months": line.term_months,
                }
                for line in bundle.lines
            ],
        }
        for bundle in basket.bundles
    ]


def money(amount: int, terms: BrandTerms) -> dict[str, Any]:
    view = pricing.tax_view(amount, terms.tax_rate_percent, terms.prices_include_tax)
    return {
        "amount": view.amount,
        "tax": view.tax,
        "excluding_tax": view.excluding_tax,
        "including_tax": view.including_tax,
        "currency": terms.currency,
    }


@dataclass
class Priced:
    """Everything ``describe`` computed, for the checkout to reuse."""

    view: dict[str, Any]
    blockers: list[dict[str, Any]]
    price_changes: list[dict[str, Any]]
    current: dict[int, LinePrice]
    eligible_codes: list[PromotionCode]


def price_basket(
    basket: Basket,
    catalog: CatalogClient,
    terms: BrandTerms,
    promos: dict[str, PromotionCode],
    now: datetime,
    redeemed_codes: set[str] = frozenset(),
) -> Priced:
    frozen = basket.frozen_until is not None and now < basket.frozen_until
    at = basket.priced_at if frozen and basket.priced_at else now

    current = {
        line.id: current_line_price(line, catalog, basket.channel, frozen)
        for bundle in basket.bundles
        for line in bundle.lines
    }
    lines = [line for bundle in basket.bundles for line in bundle.lines]
    charges = [charge_for(line, current[line.id]) for line in lines]

    discounts, campaigns = campaign_discounts(basket, catalog, at)
    codes_view, eligible = [], []
    for applied in basket.promotion_codes:
        promo = promos.get(applied.code)
        reason = promotion_verdict(promo, basket, now, applied.code in redeemed_codes)
        codes_view.append(
            {"code": applied.code, "applied": reason is None, "reason": reason}
        )
        if reason is None:
            eligible.append(promo)
            discounts.append(promotion_discount(promo, basket))

    broken = catalog.check_compatibility(bundle_payload(basket))
    for bundle in basket.bundles:
        if bundle.kind == BROADBAND:
            broken.extend(_serviceability(bundle, catalog))

    horizon = pricing.schedule_horizon(charges, discounts)
    today = pricing.period_total(charges, discounts, None)
    months = [
        pricing.period_total(charges, discounts, m) for m in range(1, horizon + 1)
    ]

    price_changes = [
        {
            "line_id": line.id,
            "code": line.product_code,
            "was": {"monthly": line.shown_monthly, "one_time": line.shown_one_time},
            "now": {
                "monthly": current[line.id].monthly,
                "one_time": current[line.id].one_time,
            },
        }
        for line in lines
        if (current[line.id].monthly, current[line.id].one_time)
        != (line.shown_monthly, line.shown_one_time)
    ]

    blockers = [
        {"bundle_id": r.bundle_id, "rule_id": r.rule_id, "message": r.message}
        for r in broken
    ]
    blockers += [
        {"bundle_id": line.bundle_id, "line_id": line.id, "flag": flag}
        for line in lines
        for flag in current[line.id].flags
        if flag in BLOCKING_FLAGS
    ]
    if not lines:
        blockers.append({"rule_id": "empty", "message": "The basket is empty."})

    view = _view(basket, terms, current, broken, today, months, codes_view, campaigns)
    view["price_changes"] = price_changes
    view["checkout_blockers"] = blockers
    view["can_checkout"] = not blockers and basket.status == "open"
    return Priced(view, blockers, price_changes, current, eligible)


def _serviceability(bundle, catalog: CatalogClient) -> list:
    broadband = [line for line in bundle.lines if line.product_type == BROADBAND]
    if not broadband:
        return []
    if not bundle.postcode:
        return [
            BrokenRule("broadband-postcode", "Broadband needs a postcode.", bundle.id)
        ]
    if all(
        catalog.serviceable(line.product_code, bundle.postcode) for line in broadband
    ):
        return []
    return [
        BrokenRule(
            "broadband-not-serviceable",
            f"Broadband is not available at {bundle.postcode}.",
            bundle.id,
        )
    ]


def _view(basket, terms, current, broken, today, months, codes_view, campaigns):
    first = months[0]
    bundles = []
    for bundle in basket.bundles:
        bundles.append(
            {
                "id": bundle.id,
                "kind": bundle.kind,
                "postcode": bundle.postcode,
                "lines": [_line_view(line, current[line.id]) for line in bundle.lines],
                "broken_rules": [
                    {"rule_id": r.rule_id, "message": r.message}
                    for r in broken
                    if r.bundle_id == bundle.id
                ],
                "due_today": money(today.by_bundle.get(bundle.id, 0), terms),
                "per_month": money(first.by_bundle.get(bundle.id, 0), terms),
            }
        )
    return {
        "id": basket.id,
        "status": basket.status,
        "channel": basket.channel,
        "currency": terms.currency,
        "customer_id": basket.customer_id,
        "expires_at": basket.expires_at.isoformat(),
        "frozen_until": basket.frozen_until.isoformat()
        if basket.frozen_until
        else None,
        "contact": basket.contact,
        "order_reference": basket.order_reference,
        "bundles": bundles,
        "promotion_codes": codes_view,
        "campaigns": campaigns,
        "tax": {
            "rate_percent": terms.tax_rate_percent,
            "prices_include_tax": terms.prices_include_tax,
        },
        "totals": {
            "due_today": money(today.total, terms),
            "per_month": money(first.total, terms),
            "months": [
                {
                    "month": period.month,
                    **money(period.total, terms),
                    "by_bundle": period.by_bundle,
                    "campaign_discount": period.campaign_discount,
                    "promotion_discount": period.promotion_discount,
                }
                for period in months
            ],
            "schedule": [
                {"from_month": start, "amount": amount}
                for start, amount in pricing.price_changes(months)
            ],
        },
    }


def _line_view(line: BasketLine, price: LinePrice) -> dict[str, Any]:
    return {
        "id": line.id,
        "code": line.product_code,
        "type": line.product_type,
        "name": line.name,
        "sku": line.sku,
        "price_type": line.price_type,
        "term_months": line.term_months,
        "quantity": line.quantity,
        "unit_price": {"monthly": price.monthly, "one_time": price.one_time},
        "flags": price.flags + (["preorder"] if line.preorder else []),
        "preorder": line.preorder,
        "expected_on": line.expected_on,
    }
