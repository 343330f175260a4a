"""Adding, changing and removing lines: bad input is named and nothing stored."""

from tests.basket.harness import NORTHWIND, build_shop, sqlite_url

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


def basket_with_a_line(shop):
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    return shopper, shopper.add_bundle(basket["id"], SIM_ONLY)


def test_only_accessories_are_sold_in_quantities(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper, basket = basket_with_a_line(shop)
    bundle = basket["bundles"][0]["id"]
    lines = f"/baskets/{basket['id']}/bundles/{bundle}/lines"

    two_data_passes = shopper.call(
        "POST", lines, {"code": "addon-data-10", "quantity": 2}
    )
    chargers = shopper.call(
        "POST",
        lines,
        {"code": "acc-usb-c-charger", "sku": "ACC-USBC-25W", "quantity": 3},
    )

    assert two_data_passes.status_code == 422
    assert two_data_passes.get_json()["errors"] == [
        {
            "field": "quantity",
            "location": "json",
            "message": "only accessories are sold in quantities",
        }
    ]
    assert chargers.status_code == 201
    assert chargers.get_json()["totals"]["due_today"]["amount"] == 3 * 1999


def test_unknown_products_and_missing_choices_are_refused_field_by_field(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    path = f"/baskets/{basket['id']}/bundles"

    answers = {
        "unknown": shopper.call("POST", path, {"lines": [{"code": "plan-nope"}]}),
        "no term": shopper.call("POST", path, {"lines": [{"code": "plan-smart-30"}]}),
        "no variant": shopper.call(
            "POST", path, {"lines": [{"code": "device-pixel-9"}]}
        ),
        "no option": shopper.call(
            "POST",
            path,
            {"lines": [{"code": "device-pixel-9", "sku": "DEV-PIXEL-9-128-OBSIDIAN"}]},
        ),
        "bad field": shopper.call("POST", path, {"lines": [{"code": "x y"}]}),
        "broadband in a phone line": shopper.call(
            "POST", path, {"lines": [{"code": "bb-fibre-150"}]}
        ),
    }

    fields = {
        name: [e["field"] for e in a.get_json()["errors"]]
        for name, a in answers.items()
    }
    print(f"\nrefused: {fields}")
    assert {a.status_code for a in answers.values()} == {422}
    assert fields == {
        "unknown": ["lines[0].code"],
        "no term": ["lines[0].term_months"],
        "no variant": ["lines[0].sku"],
        "no option": ["lines[0].price_type"],
        "bad field": ["lines.0.code"],
        "broadband in a phone line": ["lines[0].code"],
    }
    assert shopper.call("GET", f"/baskets/{basket['id']}").get_json()["bundles"] == []


def test_a_device_can_move_from_paying_upfront_to_instalments(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper, basket = basket_with_a_line(shop)
    bundle = basket["bundles"][0]["id"]
    added = shopper.call(
        "POST",
        f"/baskets/{basket['id']}/bundles/{bundle}/lines",
        {
            "code": "device-pixel-9",
            "sku": "DEV-PIXEL-9-256-OBSIDIAN",
            "price_type": "one_time",
        },
    ).get_json()
    device = added["bundles"][0]["lines"][-1]["id"]
    assert added["totals"]["due_today"]["amount"] == 89900

    changed = shopper.call(
        "PATCH",
        f"/baskets/{basket['id']}/bundles/{bundle}/lines/{device}",
        {"price_type": "instalment", "term_months": 36},
    ).get_json()
    removed = shopper.call(
        "DELETE", f"/baskets/{basket['id']}/bundles/{bundle}/lines/{device}"
    ).get_json()
    emptied = shopper.call(
        "DELETE", f"/baskets/{basket['id']}/bundles/{bundle}"
    ).get_json()

    assert changed["totals"]["due_today"]["amount"] == 0
    assert changed["totals"]["per_month"]["amount"] == 1300 + 2498
    assert removed["totals"]["per_month"]["amount"] == 1300
    assert emptied["bundles"] == []
    assert emptied["checkout_blockers"] == [
        {"rule_id": "empty", "message": "The basket is empty."}
    ]
