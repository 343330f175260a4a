"""Basket arithmetic: due today and month by month, as pure functions.

Nothing here reads a database, a clock or the catalog: the service layer
decides which charges a basket holds and which discounts reach which lines,
and these functions do the sums, so every figure can be checked by hand.

How discounts stack (documented once, here):

1. A campaign is applied first, to the list price of each line it reaches,
   giving the campaign price of that line for that month.
2. Every promotion percentage is then taken of that campaign price (not of
   each other: two codes of 10% and 20% take 10% and 20% of the same base),
   per line and per month, each rounded half-up to the minor unit.
3. Promotion amounts come last, per bundle, taken from its lines in order.
4. No line is ever discounted below zero.

"Recurring" means service charges (plans, add-ons, broadband). A device on
instalments is a credit repayment: campaigns and codes with ``on: recurring``
never touch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ONE_TIME = "one_time"
RECURRING = "recurring"
INSTALMENT = "instalment"


def percent_of(amount: int, percent: int | float | Decimal) -> int:
    """``percent`` % of ``amount`` minor units, rounded half-up to a minor unit."""
    exact = Decimal(amount) * Decimal(str(percent)) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Charge:
    """What one basket line costs before any discount.

    ``monthly_kind`` is ``recurring`` (a service that runs on, with a minimum
    term) or ``instalment`` (paid for ``term_months`` months, then nothing).
    """

    line_id: str
    bundle_id: str
    one_time: int = 0
    monthly: int = 0
    monthly_kind: str | None = None
    term_months: int | None = None

    def monthly_in(self, month: int) -> int:
        if self.monthly_kind == INSTALMENT and self.term_months:
            return self.monthly if month <= self.term_months else 0
        return self.monthly


@dataclass(frozen=True)
class Discount:
    """A campaign or promotion code as it reaches a set of lines.

    ``on`` is ``recurring`` (monthly service charges) or ``one_time`` (due
    today). ``months`` limits a recurring discount to months 1..N; None means
    every month. Exactly one of ``percent`` and ``amount`` is set.
    """

    source: str
    kind: str  # "campaign" or "promotion"
    line_ids: frozenset[str]
    on: str = RECURRING
    percent: int | None = None
    amount: int | None = None
    months: int | None = None

    def applies_in(self, month: int | None) -> bool:
        if month is None:
            return self.on == ONE_TIME
        if self.on != RECURRING:
            return False
        return self.months is None or month <= self.months


@dataclass
class LineAmount:
    """One line's figure for one period (due today, or a month)."""

    line_id: str
    bundle_id: str
    list_amount: int
    campaign_discount: int = 0
    promotion_discount: int = 0
    discounts: dict[str, int] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return self.list_amount - self.campaign_discount - self.promotion_discount


@dataclass(frozen=True)
class TaxView:
    """A total with its tax shown the way the brand must show it."""

    amount: int
    tax: int
    excluding_tax: int
    including_tax: int


def tax_view(
    amount: int, rate_percent: int | float, prices_include_tax: bool
) -> TaxView:
    """Inclusive prices show the tax part; exclusive prices add it on top."""
    rate = Decimal(str(rate_percent))
    if prices_include_tax:
        exact = Decimal(amount) * rate / (Decimal(100) + rate)
        tax = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return TaxView(amount, tax, amount - tax, amount)
    tax = percent_of(amount, rate)
    return TaxView(amount + tax, tax, amount, amount + tax)


def _charged(charge: Charge, month: int | None) -> int:
    if month is None:
        return charge.one_time
    if charge.monthly_kind == RECURRING:
        return charge.monthly_in(month)
    return 0


def line_amounts(
    charges: Sequence[Charge], discounts: Iterable[Discount], month: int | None
) -> list[LineAmount]:
    """Every line's amount for ``month`` (1-based), or due today when None."""
    discounts = list(discounts)
    rows = [
        LineAmount(
            c.line_id, c.bundle_id, c.one_time if month is None else c.monthly_in(month)
        )
        for c in charges
    ]
    by_line = {row.line_id: row for row in rows}
    discountable = {c.line_id: _charged(c, month) for c in charges}

    # 1. campaigns on the list price
    for discount in discounts:
        if discount.kind != "campaign" or not discount.applies_in(month):
            continue
        for line_id in discount.line_ids & by_line.keys():
            row = by_line[line_id]
            room = discountable[line_id] - row.campaign_discount
            cut = _cut(discount, discountable[line_id], room)
            row.campaign_discount += cut
            row.discounts[discount.source] = cut

    # 2. promotion percentages, each of the campaign price
    for discount in discounts:
        if discount.kind != "promotion" or discount.percent is None:
            continue
        if not discount.applies_in(month):
            continue
        for line_id in discount.line_ids & by_line.keys():
            row = by_line[line_id]
            base = discountable[line_id] - row.campaign_discount
            room = base - row.promotion_discount
            cut = min(percent_of(base, discount.percent), max(room, 0))
            row.promotion_discount += cut
            row.discounts[discount.source] = cut

    # 3. promotion amounts, per bundle, from its lines in order
    for discount in discounts:
        if discount.kind != "promotion" or discount.amount is None:
            continue
        if not discount.applies_in(month):
            continue
        _take_amount_per_bundle(discount, rows, discountable)

    return rows


def _cut(discount: Discount, base: int, room: int) -> int:
    if discount.percent is not None:
        return min(percent_of(base, discount.percent), max(room, 0))
    return min(discount.amount or 0, max(room, 0))


def _take_amount_per_bundle(
    discount: Discount, rows: list[LineAmount], discountable: dict[str, int]
) -> None:
    left_by_bundle: dict[str, int] = {}
    for row in rows:
        if row.line_id not in discount.line_ids:
            continue
        left = left_by_bundle.setdefault(row.bundle_id, discount.amount or 0)
        room = discountable[row.line_id] - row.campaign_discount
        room -= row.promotion_discount
        cut = min(left, max(room, 0))
        if cut:
            row.promotion_discount += cut
            row.discounts[discount.source] = row.discounts.get(discount.source, 0) + cut
            left_by_bundle[row.bundle_id] = left - cut


@dataclass(frozen=True)
class PeriodTotal:
    """Totals for one period: per bundle and for the basket."""

    month: int | None
    by_bundle: dict[str, int]
    total: int
    campaign_discount: int
    promotion_discount: int
    lines: list[LineAmount]


def period_total(
    charges: Sequence[Charge], discounts: Iterable[Discount], month: int | None
) -> PeriodTotal:
    rows = line_amounts(charges, discounts, month)
    by_bundle: dict[str, int] = {}
    for row in rows:
        by_bundle[row.bundle_id] = by_bundle.get(row.bundle_id, 0) + row.amount
    return PeriodTotal(
        month=month,
        by_bundle=by_bundle,
        total=sum(row.amount for row in rows),
        campaign_discount=sum(row.campaign_discount for row in rows),
        promotion_discount=sum(row.promotion_discount for row in rows),
        lines=rows,
    )


def schedule_horizon(charges: Sequence[Charge], discounts: Iterable[Discount]) -> int:
    """Months after which nothing changes any more (ends of terms and offers)."""
    ends = [1]
    ends += [c.term_months for c in charges if c.term_months]
    ends += [d.months for d in discounts if d.months]
    return max(ends) + 1


def price_changes(
    months: Sequence[PeriodTotal],
) -> list[tuple[int, int]]:
    """(first month, amount) for each run of equal monthly totals."""
    runs: list[tuple[int, int]] = []
    for period in months:
        if not runs or runs[-1][1] != period.total:
            runs.append((period.month or 0, period.total))
    return runs
