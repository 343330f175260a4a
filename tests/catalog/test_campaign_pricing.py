"""Effective prices month by month: Northwind's winter-unlimited campaign.

The campaign: 50% off plan-unlimited for the first 6 months, on web and app,
2026-11-20T00:00Z .. 2027-01-31T23:59:59Z. Expected figures are worked out by
hand from the pack: 24 months at 27.00 -> 6 x 13.50 then 18 x 27.00.
"""

from tests.catalog.harness import NORTHWIND, host

URL = "/api/catalog/products/{code}/effective-price"


def price(client, code="plan-unlimited", **params):
    response = client.get(
        URL.format(code=code), query_string=params, headers=host(NORTHWIND)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def monthly(answer):
    return [month["amount"] for month in answer["schedule"]]


def show(label, answer):
    months = monthly(answer)
    print(
        f"\n{label}: campaign={answer['campaign']} per month now "
        f"{answer['per_month']['amount']} (ex tax {answer['per_month']['excl_tax']}); "
        f"months 1-6 {months[:6]}, 7+ {months[6]}; "
        f"term total {answer['total_over_term']}"
    )


def test_inside_the_window_on_web_six_months_at_half_price(client):
    answer = price(client, channel="web", term_months=24, at="2026-12-01T12:00:00Z")
    show("24m on web, 2026-12-01", answer)
    assert answer["campaign"] == "winter-unlimited"
    assert monthly(answer) == [1350] * 6 + [2700] * 18
    assert answer["due_today"]["amount"] == 0
    assert answer["per_month"] == {"amount": 1350, "incl_tax": 1350, "excl_tax": 1125}
    assert answer["total_over_term"] == 6 * 1350 + 18 * 2700 == 56700


def test_the_twelve_month_term_gets_the_same_six_months(client):
    answer = price(client, channel="app", term_months=12, at="2027-01-31T23:59:00Z")
    show("12m on app, last minute of the window", answer)
    assert monthly(answer) == [1500] * 6 + [3000] * 6


def test_outside_the_window_full_price_every_month(client):
    before = price(client, channel="web", term_months=24, at="2026-11-19T23:59:59Z")
    after = price(client, channel="web", term_months=24, at="2027-02-01T00:00:00Z")
    show("24m on web, 2027-02-01", after)
    assert before["campaign"] is None and after["campaign"] is None
    assert monthly(before) == monthly(after) == [2700] * 24
    assert after["total_over_term"] == 64800


def test_a_channel_the_campaign_does_not_cover_pays_full_price(client):
    answer = price(client, channel="retail", term_months=24, at="2026-12-01T12:00:00Z")
    show("24m in retail, 2026-12-01", answer)
    assert answer["campaign"] is None
    assert monthly(answer) == [2700] * 24


def test_a_once_only_amount_off_comes_off_the_price_due_today(client):
    sku = "DEV-FAIRPHONE-5-256-MATTE-BLACK"
    in_store = price(
        client,
        code="device-fairphone-5",
        channel="retail",
        sku=sku,
        price_type="one_time",
        at="2026-12-01T12:00:00Z",
    )
    online = price(
        client,
        code="device-fairphone-5",
        channel="web",
        sku=sku,
        price_type="one_time",
        at="2026-12-01T12:00:00Z",
    )
    assert in_store["due_today"]["amount"] == 64900 - 5000
    assert online["due_today"]["amount"] == 64900
    assert in_store["schedule"] == [] and in_store["per_month"]["amount"] == 0


def test_an_ambiguous_price_option_is_refused_naming_price_id(client):
    response = client.get(
        URL.format(code="plan-unlimited"),
        query_string={"channel": "web"},
        headers=host(NORTHWIND),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "price_id"


def test_a_once_only_amount_on_instalments_is_used_up_over_the_first_months(client):
    answer = price(
        client,
        code="device-fairphone-5",
        channel="retail",
        sku="DEV-FAIRPHONE-5-256-MATTE-BLACK",
        price_type="instalment",
        term_months=24,
        at="2026-12-01T12:00:00Z",
    )
    # 50.00 off: all of month 1 (27.05), then 22.95 of month 2.
    assert monthly(answer)[:3] == [0, 410, 2705]
    assert answer["total_over_term"] == 24 * 2705 - 5000
