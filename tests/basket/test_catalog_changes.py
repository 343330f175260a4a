"""The basket follows the catalog: new prices, retired and out-of-stock items,
pre-orders."""

from tests.basket.harness import (
    NORTHWIND,
    build_shop,
    checkout_body,
    load_pack,
    sqlite_url,
)

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


def product(shop, code):
    pack = shop.catalogs["northwind"].pack
    return next(p for p in pack["products"] if p["code"] == code)


def test_a_price_change_is_listed_and_checkout_asks_to_confirm_it(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    basket = shopper.add_bundle(basket["id"], SIM_ONLY)
    assert basket["price_changes"] == []

    for price in product(shop, "plan-smart-30")["prices"]:
        if price["term_months"] == 24:
            price["amount"] = 1400
    shown = shopper.call("GET", f"/baskets/{basket['id']}").get_json()
    first = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )
    second = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )

    line_id = basket["bundles"][0]["lines"][0]["id"]
    change = {
        "line_id": line_id,
        "code": "plan-smart-30",
        "was": {"monthly": 1300, "one_time": 0},
        "now": {"monthly": 1400, "one_time": 0},
    }
    print(f"\nprice change shown: {shown['price_changes']}")
    assert shown["price_changes"] == [change]
    assert shown["totals"]["per_month"]["amount"] == 1400
    assert first.status_code == 409
    assert first.get_json()["price_changes"] == [change]
    assert second.status_code == 200
    order = next(iter(shop.orders.orders.values()))["order"]
    assert order["totals"]["per_month"]["amount"] == 1400


def test_retired_and_out_of_stock_items_are_flagged_and_block_checkout(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    shopper.add_bundle(
        basket["id"],
        [*SIM_ONLY[:1], {"code": "sim-physical"}, {"code": "addon-eu-roam"}],
    )
    basket = shopper.add_bundle(
        basket["id"],
        [
            {"code": "plan-essential-5", "term_months": 24},
            {"code": "sim-physical"},
            {
                "code": "device-fairphone-5",
                "sku": "DEV-FAIRPHONE-5-256-MATTE-BLACK",
                "price_type": "one_time",
            },
        ],
    )

    product(shop, "addon-eu-roam")["lifecycle"] = "retired"
    product(shop, "device-fairphone-5")["variants"][0]["stock"] = 0
    shown = shopper.call("GET", f"/baskets/{basket['id']}").get_json()
    refused = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(shown)
    )

    flags = {
        line["code"]: line["flags"] for b in shown["bundles"] for line in b["lines"]
    }
    print(f"\nflags: { {k: v for k, v in flags.items() if v} }")
    assert flags["addon-eu-roam"] == ["retired"]
    assert flags["device-fairphone-5"] == ["out_of_stock"]
    assert shown["can_checkout"] is False
    assert refused.status_code == 409
    assert sorted(b["flag"] for b in refused.get_json()["blockers"]) == [
        "out_of_stock",
        "retired",
    ]
    again = shopper.call(
        "POST",
        f"/baskets/{basket['id']}/bundles/{shown['bundles'][0]['id']}/lines",
        {"code": "addon-eu-roam"},
    )
    assert again.status_code == 422
    assert again.get_json()["errors"][0]["field"] == "code"


def test_a_pre_order_variant_can_be_bought_out_of_stock_with_its_date(tmp_path):
    pack = load_pack("northwind")
    iphone_15 = next(p for p in pack["products"] if p["code"] == "device-iphone-15")
    iphone_15["variants"][0].update(preorder=True, expected_on="2027-01-15")
    shop = build_shop(sqlite_url(tmp_path), {"northwind": pack})
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")

    blue = shopper.call(
        "POST",
        f"/baskets/{basket['id']}/bundles",
        {
            "lines": [
                {
                    "code": "device-iphone-15",
                    "sku": "DEV-IPHONE-15-128-BLUE",
                    "price_type": "one_time",
                }
            ]
        },
    )
    basket = shopper.add_bundle(
        basket["id"],
        [
            *SIM_ONLY,
            {
                "code": "device-iphone-15",
                "sku": "DEV-IPHONE-15-128-BLACK",
                "price_type": "instalment",
                "term_months": 24,
            },
        ],
    )
    done = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )

    device = basket["bundles"][0]["lines"][2]
    print(
        f"\npre-order: {device['sku']} expected {device['expected_on']}, "
        f"order {done.get_json()['order_status']}"
    )
    assert blue.status_code == 422
    assert blue.get_json()["errors"][0]["field"] == "lines[0].sku"
    assert device["preorder"] is True and device["expected_on"] == "2027-01-15"
    assert "preorder" in device["flags"]
    assert done.status_code == 200
    assert done.get_json()["order_status"] == "held"


def test_a_campaign_ending_before_checkout_is_shown_before_anything_is_charged(
    tmp_path,
):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    basket = shopper.add_bundle(
        basket["id"],
        [{"code": "plan-unlimited", "term_months": 24}, {"code": "sim-physical"}],
    )
    assert basket["totals"]["per_month"]["amount"] == 1350

    winter = shop.catalogs["northwind"].pack["campaigns"][0]
    winter["valid"]["to"] = "2026-12-01T00:00:00Z"
    first = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )
    second = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )

    assert first.status_code == 409
    assert first.get_json()["totals"]["was"]["schedule"][0] == {
        "from_month": 1,
        "amount": 1350,
    }
    assert first.get_json()["totals"]["now"]["schedule"] == [
        {"from_month": 1, "amount": 2700}
    ]
    assert second.status_code == 200
