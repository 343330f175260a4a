"""The Northwind family basket: two lines, a campaign and two promotion codes.

'Now' is 2026-12-03 10:00 UTC (set on the test clock): inside the winter
campaign window (2026-11-20 .. 2027-01-31, web and app), on the web channel.

Hand computation (GBP pence; Northwind prices include 20% VAT).
Stacking: campaign first on the list price; then each promotion percentage of
that campaign price, per line per month, rounded half-up; device instalments
are credit repayments and take no code or campaign ("recurring" only).

Line 1 (first line): Unlimited 24m 2700/month, campaign 50% for months 1-6;
  iPhone 16 128GB on 24 instalments of 3330; insurance 899/month; SIM 0.
Line 2: Smart 30GB 24m 1300/month; eSIM 0.
WELCOME10: 10% of recurring, months 1-12, every line.
FAMILY20: 20% of recurring, every month, each line after the first (line 2).

Due today: SIM 0 + eSIM 0 + device on instalments 0 = 0 (VAT 0).

Month 1:
  line 1: plan 2700 - 50% = 1350; WELCOME10 10% of 1350 = 135 -> 1215
          instalment 3330
          insurance 899; WELCOME10 10% of 899 = 89.9 -> 90 -> 809
          = 1215 + 3330 + 809 = 5354
  line 2: plan 1300; WELCOME10 130; FAMILY20 260 -> 910
  total 6264; VAT part 6264 * 20/120 = 1044.0 -> 1044
Month 7 (campaign over, WELCOME10 still on):
  line 1: plan 2700 - 270 = 2430; 3330; 809 = 6569
  line 2: 910
  total 7479; VAT 7479/6 = 1246.5 -> 1247 (half-up)
Month 13 (WELCOME10 over, FAMILY20 on):
  line 1: 2700 + 3330 + 899 = 6929
  line 2: 1300 - 260 = 1040
  total 7969; VAT 7969/6 = 1328.17 -> 1328
Month 25 (instalments paid off): 2700 + 899 + 1040 = 4639
"""

from tests.basket.harness import NORTHWIND, build_shop, sqlite_url

UNLIMITED_WITH_IPHONE = [
    {"code": "plan-unlimited", "term_months": 24},
    {"code": "sim-physical"},
    {
        "code": "device-iphone-16",
        "sku": "DEV-IPHONE-16-128-BLACK",
        "price_type": "instalment",
        "term_months": 24,
    },
    {"code": "addon-insurance"},
]
SMART_SIM_ONLY_ESIM = [
    {"code": "plan-smart-30", "term_months": 24},
    {"code": "sim-esim"},
]


def family_basket(shop):
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    shopper.add_bundle(basket["id"], UNLIMITED_WITH_IPHONE)
    shopper.add_bundle(basket["id"], SMART_SIM_ONLY_ESIM)
    shopper.apply_code(basket["id"], "WELCOME10")
    return shopper, shopper.apply_code(basket["id"], "FAMILY20")


def month(basket, number):
    return next(m for m in basket["totals"]["months"] if m["month"] == number)


def test_family_basket_shows_hand_computed_totals_for_months_1_7_and_13(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    _, basket = family_basket(shop)
    first, second = (b["id"] for b in basket["bundles"])

    totals = basket["totals"]
    print("\nNorthwind family basket, 2026-12-03, web")
    print(f"  due today: {totals['due_today']['amount']} GBP pence")
    for number in (1, 7, 13, 25):
        m = month(basket, number)
        print(
            f"  month {number:>2}: {m['amount']} (line 1 {m['by_bundle'][first]}, "
            f"line 2 {m['by_bundle'][second]}, VAT {m['tax']})"
        )

    assert basket["can_checkout"], basket["checkout_blockers"]
    assert [c["code"] for c in basket["campaigns"]] == ["winter-unlimited"]
    assert [(c["code"], c["applied"]) for c in basket["promotion_codes"]] == [
        ("WELCOME10", True),
        ("FAMILY20", True),
    ]
    assert totals["due_today"]["amount"] == 0
    assert totals["per_month"]["amount"] == 6264
    assert totals["per_month"]["tax"] == 1044
    assert (
        month(basket, 1)["by_bundle"][first],
        month(basket, 1)["by_bundle"][second],
    ) == (5354, 910)
    assert (month(basket, 7)["amount"], month(basket, 7)["tax"]) == (7479, 1247)
    assert month(basket, 7)["by_bundle"] == {first: 6569, second: 910}
    assert (month(basket, 13)["amount"], month(basket, 13)["tax"]) == (7969, 1328)
    assert month(basket, 13)["by_bundle"] == {first: 6929, second: 1040}
    assert month(basket, 25)["amount"] == 4639
    assert basket["bundles"][0]["per_month"]["amount"] == 5354
    assert basket["bundles"][1]["per_month"]["amount"] == 910


def test_family_discount_waits_for_the_second_line(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    shopper.add_bundle(basket["id"], SMART_SIM_ONLY_ESIM)

    basket = shopper.apply_code(basket["id"], "FAMILY20")

    assert basket["promotion_codes"] == [
        {"code": "FAMILY20", "applied": False, "reason": "needs_2_lines"}
    ]
    assert basket["totals"]["per_month"]["amount"] == 1300


def test_the_winter_campaign_is_not_on_the_retail_channel(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("retail")

    basket = shopper.add_bundle(basket["id"], UNLIMITED_WITH_IPHONE)

    assert basket["campaigns"] == []
    assert basket["totals"]["per_month"]["amount"] == 2700 + 3330 + 899
