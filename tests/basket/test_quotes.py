"""A quote freezes a basket's prices until it expires."""

from datetime import timedelta

from tests.basket.harness import DECEMBER_3RD, NORTHWIND, build_shop, sqlite_url

UNLIMITED = [{"code": "plan-unlimited", "term_months": 24}, {"code": "sim-physical"}]


def test_a_quote_turns_back_into_a_basket_at_its_frozen_prices_until_expiry(
    tmp_path,
):
    shop = build_shop(sqlite_url(tmp_path))
    agent = shop.client(NORTHWIND).sign_in("customer-dan")
    basket = agent.new_basket("web")
    basket = agent.add_bundle(basket["id"], UNLIMITED)
    frozen_totals = basket["totals"]
    answer = agent.call("POST", f"/baskets/{basket['id']}/quotes", {"valid_days": 14})
    assert answer.status_code == 201, answer.get_json()
    quote = answer.get_json()

    plan = next(
        p
        for p in shop.catalogs["northwind"].pack["products"]
        if p["code"] == "plan-unlimited"
    )
    plan["prices"][1]["amount"] = 2900
    shop.clock.now = DECEMBER_3RD + timedelta(days=10)
    answer = agent.call("POST", f"/quotes/{quote['reference']}/basket")
    assert answer.status_code == 201, answer.get_json()
    from_quote = answer.get_json()
    stranger = (
        shop.client(NORTHWIND)
        .sign_in("customer-eve")
        .call("POST", f"/quotes/{quote['reference']}/basket")
    )
    shop.clock.now = DECEMBER_3RD + timedelta(days=15)
    too_late = agent.call("POST", f"/quotes/{quote['reference']}/basket")
    after_expiry = agent.call("GET", f"/baskets/{from_quote['id']}").get_json()

    print(
        f"\nquote {quote['reference']}: month 1 {frozen_totals['per_month']['amount']}"
        f", basket from it on day 10: {from_quote['totals']['per_month']['amount']}"
        f", after expiry: {after_expiry['totals']['per_month']['amount']}"
    )
    assert quote["reference"].startswith("Q-")
    assert from_quote["totals"]["schedule"] == frozen_totals["schedule"]
    assert from_quote["totals"]["per_month"]["amount"] == 1350
    assert from_quote["price_changes"] == []
    assert stranger.status_code == 404
    assert too_late.status_code == 410
    assert after_expiry["price_changes"][0]["now"]["monthly"] == 2900
