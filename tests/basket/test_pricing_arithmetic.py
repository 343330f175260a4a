"""The pure basket arithmetic: rounding, stacking, terms and tax."""

import pytest

from services.basket.pricing import (
    Charge,
    Discount,
    percent_of,
    period_total,
    price_changes,
    schedule_horizon,
    tax_view,
)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (899, 10, 90),
        (895, 10, 90),
        (894, 10, 89),
        (1350, 10, 135),
        (1, 50, 1),
        (3, 50, 2),
        (0, 20, 0),
        (2999, 15, 450),
    ],
)
def test_percentages_round_half_up_to_the_minor_unit(amount, percent, expected):
    assert percent_of(amount, percent) == expected


PLAN = Charge("plan", "line-1", monthly=2700, monthly_kind="recurring", term_months=24)
PHONE = Charge(
    "phone", "line-1", monthly=3330, monthly_kind="instalment", term_months=24
)
CHARGER = Charge("charger", "line-1", one_time=1999)


def campaign(percent=None, amount=None, months=None, on="recurring", lines=("plan",)):
    return Discount(
        "campaign:c", "campaign", frozenset(lines), on, percent, amount, months
    )


def code(name, percent=None, amount=None, months=None, on="recurring", lines=("plan",)):
    return Discount(
        f"code:{name}", "promotion", frozenset(lines), on, percent, amount, months
    )


def test_promotion_percentages_are_taken_of_the_campaign_price_not_of_each_other():
    discounts = [campaign(percent=50, months=6), code("A", 10), code("B", 20)]

    month_1 = period_total([PLAN], discounts, 1)
    month_7 = period_total([PLAN], discounts, 7)

    # 2700 -> 1350 campaign; 10% and 20% of 1350 = 135 + 270
    assert month_1.total == 1350 - 135 - 270
    assert (month_1.campaign_discount, month_1.promotion_discount) == (1350, 405)
    # 10% and 20% of 2700 = 270 + 540
    assert month_7.total == 2700 - 810


def test_instalments_end_with_their_term_and_take_no_recurring_discount():
    discounts = [code("ALL", 50, lines=("plan", "phone"))]

    assert period_total([PLAN, PHONE], discounts, 24).total == 1350 + 3330
    assert period_total([PLAN, PHONE], discounts, 25).total == 1350


def test_an_amount_code_comes_off_each_bundle_once_and_never_below_zero():
    second_line = Charge("plan-2", "line-2", monthly=300, monthly_kind="recurring")
    addon = Charge("addon", "line-1", monthly=500, monthly_kind="recurring")
    discounts = [code("FIVER", amount=500, lines=("plan", "addon", "plan-2"))]

    month = period_total([PLAN, addon, second_line], discounts, 1)

    assert month.by_bundle == {"line-1": 2700 + 500 - 500, "line-2": 0}


def test_a_one_time_code_comes_off_what_is_due_today_only():
    discounts = [code("SAVE10", amount=1000, on="one_time", lines=("charger",))]

    assert period_total([CHARGER, PLAN], discounts, None).total == 999
    assert period_total([CHARGER, PLAN], discounts, 1).total == 2700


def test_the_schedule_lists_each_change_of_the_monthly_total():
    discounts = [campaign(percent=50, months=6), code("WELCOME", 10, months=12)]
    horizon = schedule_horizon([PLAN, PHONE], discounts)

    months = [period_total([PLAN, PHONE], discounts, m) for m in range(1, horizon + 1)]

    assert horizon == 25
    assert price_changes(months) == [
        (1, 1350 - 135 + 3330),
        (7, 2700 - 270 + 3330),
        (13, 2700 + 3330),
        (25, 2700),
    ]


def test_tax_is_shown_inside_inclusive_prices_and_added_to_exclusive_ones():
    inclusive = tax_view(7479, 20, prices_include_tax=True)
    exclusive = tax_view(3163, 23, prices_include_tax=False)

    assert (inclusive.amount, inclusive.tax, inclusive.excluding_tax) == (
        7479,
        1247,
        6232,
    )
    assert (exclusive.amount, exclusive.tax, exclusive.excluding_tax) == (
        3890,
        727,
        3163,
    )
