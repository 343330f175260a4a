"""Prices as a shopper pays them: channel variations, tax both ways, campaigns.

Campaigns do not stack: of the campaigns that apply to a price on a channel at
a moment, the one that takes most off over the whole term wins. A campaign
with ``months`` (or ``on: recurring``) discounts the first N months (or every
month) of a recurring or instalment price; any other campaign discounts once:
the one-time price, or the first month of a monthly one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.catalog.models import Campaign, CatalogSettings, Price, Product


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class TaxRule:
    rate_percent: int
    prices_include_tax: bool

    @classmethod
    def of(cls, settings: CatalogSettings) -> TaxRule:
        return cls(settings.tax_rate_percent, settings.prices_include_tax)

    def both_ways(self, amount: int) -> dict[str, int]:
        """The stored amount with tax and without, whichever way it was entered."""
        factor = Decimal(100 + self.rate_percent) / 100
        if self.prices_include_tax:
            return {
                "amount": amount,
                "incl_tax": amount,
                "excl_tax": round_half_up(Decimal(amount) / factor),
            }
        return {
            "amount": amount,
            "incl_tax": round_half_up(Decimal(amount) * factor),
            "excl_tax": amount,
        }


def prices_on_channel(prices: list[Price], channel: str | None) -> list[Price]:
    """Base prices, each replaced or hidden by its override on ``channel``."""
    overrides = {
        (p.type, p.term_months, p.variant_id): p
        for p in prices
        if channel and p.channel == channel
    }
    chosen = []
    for price in prices:
        if price.channel is not None:
            continue
        override = overrides.get((price.type, price.term_months, price.variant_id))
        if override is None:
            chosen.append(price)
        elif not override.hidden:
            chosen.append(override)
    return chosen


def campaign_applies(
    campaign: Campaign,
    product: Product,
    channel: str | None,
    at: datetime,
    lines: int,
) -> bool:
    if product.code not in campaign.applies_to_codes and (
        product.type not in campaign.applies_to_types
    ):
        return False
    if campaign.channels and channel not in campaign.channels:
        return False
    if not aware(campaign.valid_from) <= aware(at) <= aware(campaign.valid_to):
        return False
    return lines >= int(campaign.conditions.get("min_lines", 1))


def _discount(campaign: Campaign, list_amount: int) -> int:
    if campaign.percent is not None:
        return round_half_up(Decimal(list_amount) * campaign.percent / 100)
    return min(campaign.amount or 0, list_amount)


def schedule_for(price: Price, campaign: Campaign | None) -> list[dict[str, Any]]:
    """Month by month for a monthly price; one entry ("today") for one-time.

    A once-only amount larger than one month's fee keeps coming off the
    following months until it is used up: 50 off a 27.05 instalment is 27.05
    off month 1 and 22.95 off month 2, never a lost 22.95.
    """
    if price.type == "one_time":
        off = _discount(campaign, price.amount) if campaign else 0
        return [{"month": 0, "list": price.amount, "discount": off}]

    once_left = (
        campaign.amount or 0
        if campaign is not None and not campaign.on_recurring and campaign.amount
        else 0
    )
    months = []
    for month in range(1, (price.term_months or 1) + 1):
        off = 0
        if campaign is not None and campaign.on_recurring:
            if campaign.months is None or month <= campaign.months:
                off = _discount(campaign, price.amount)
        elif campaign is not None and once_left:
            off = min(once_left, price.amount)
            once_left -= off
        elif campaign is not None and month == 1:
            off = _discount(campaign, price.amount)  # a once-only percentage
        months.append({"month": month, "list": price.amount, "discount": off})
    return months


def best_campaign(
    price: Price, campaigns: list[Campaign]
) -> tuple[Campaign | None, list[dict[str, Any]]]:
    best, best_schedule = None, schedule_for(price, None)
    best_saving = 0
    for campaign in campaigns:
        schedule = schedule_for(price, campaign)
        saving = sum(entry["discount"] for entry in schedule)
        if saving > best_saving:
            best, best_schedule, best_saving = campaign, schedule, saving
    return best, best_schedule


def effective_price(
    product: Product,
    price: Price,
    campaigns: list[Campaign],
    tax: TaxRule,
    channel: str | None,
    at: datetime,
    lines: int = 1,
) -> dict[str, Any]:
    """What ``price`` costs on ``channel`` at ``at``: today, per month, by month."""
    eligible = [
        c for c in campaigns if campaign_applies(c, product, channel, at, lines)
    ]
    campaign, schedule = best_campaign(price, eligible)

    if price.type == "one_time":
        due_today = schedule[0]["list"] - schedule[0]["discount"]
        monthly: list[dict[str, Any]] = []
        per_month = 0
    else:
        due_today = 0
        monthly = [
            {
                "month": entry["month"],
                "list": entry["list"],
                "discount": entry["discount"],
                **tax.both_ways(entry["list"] - entry["discount"]),
            }
            for entry in schedule
        ]
        per_month = monthly[0]["amount"]

    return {
        "product": product.code,
        "price_id": price.id,
        "price_type": price.type,
        "term_months": price.term_months,
        "channel": channel,
        "at": at.isoformat(),
        "currency": price.currency,
        "campaign": campaign.code if campaign else None,
        "due_today": tax.both_ways(due_today),
        "per_month": tax.both_ways(per_month),
        "schedule": monthly,
        "total_over_term": due_today + sum(m["amount"] for m in monthly),
    }
