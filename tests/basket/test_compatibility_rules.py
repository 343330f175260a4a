"""Every Northwind compatibility rule broken once, shown on its own bundle."""

import copy

from tests.basket.harness import (
    NORTHWIND,
    build_shop,
    checkout_body,
    load_pack,
    sqlite_url,
)


def northwind_with_a_4g_phone() -> dict:
    """Northwind sells no 4G phone; the Unlimited rule needs one to break."""
    pack = load_pack("northwind")
    pack["products"].append(
        {
            "code": "device-classic-4g",
            "type": "device",
            "name": "Classic 4G phone",
            "attributes": {"network": "4G", "esim": False},
            "variants": [
                {
                    "sku": "DEV-CLASSIC-4G",
                    "prices": [{"type": "one_time", "amount": 4900}],
                    "stock": 10,
                }
            ],
        }
    )
    return pack


def messages(pack: dict) -> dict[str, str]:
    return {rule["id"]: rule["message"] for rule in pack["rules"]}


BUNDLES = {
    "instalments-need-plan": [
        {"code": "sim-physical"},
        {
            "code": "device-iphone-16",
            "sku": "DEV-IPHONE-16-128-PINK",
            "price_type": "instalment",
            "term_months": 36,
        },
    ],
    "esim-needs-capable-device": [
        {"code": "plan-smart-30", "term_months": 12},
        {"code": "sim-esim"},
        {
            "code": "device-moto-g54-5g",
            "sku": "DEV-MOTO-G54-5G-256-MIDNIGHT-BLUE",
            "price_type": "one_time",
        },
    ],
    "unlimited-needs-5g-device": [
        {"code": "plan-unlimited", "term_months": 24},
        {"code": "sim-physical"},
        {"code": "device-classic-4g", "sku": "DEV-CLASSIC-4G"},
    ],
    "one-sim-per-plan": [{"code": "plan-essential-5", "term_months": 12}],
    "requires:addon-insurance": [
        {"code": "plan-smart-30", "term_months": 24},
        {"code": "sim-physical"},
        {"code": "addon-insurance"},
    ],
}


def test_each_rule_is_broken_once_with_the_brands_message_on_its_bundle(tmp_path):
    pack = northwind_with_a_4g_phone()
    shop = build_shop(sqlite_url(tmp_path), {"northwind": pack})
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")

    bundle_of = {}
    for rule_id, lines in BUNDLES.items():
        basket = shopper.add_bundle(basket["id"], lines)
        bundle_of[rule_id] = basket["bundles"][-1]["id"]
    basket = shopper.add_bundle(
        basket["id"], [{"code": "bb-fibre-150"}], kind="broadband", postcode="EH1 1YZ"
    )
    bundle_of["broadband-not-serviceable"] = basket["bundles"][-1]["id"]

    expected = {
        **messages(pack),
        "requires:addon-insurance": "Device Insurance needs a device in the same line.",
        "broadband-not-serviceable": "Broadband is not available at EH1 1YZ.",
    }
    print()
    for bundle in basket["bundles"]:
        for rule in bundle["broken_rules"]:
            print(f"  bundle {bundle['id'][:8]}: {rule['rule_id']}: {rule['message']}")
        rule_id = next(k for k, v in bundle_of.items() if v == bundle["id"])
        assert bundle["broken_rules"] == [
            {"rule_id": rule_id, "message": expected[rule_id]}
        ]
    assert len(messages(pack)) == 4

    assert basket["can_checkout"] is False
    refused = shopper.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("/checkout-blocked")
    assert {b["rule_id"] for b in refused.get_json()["blockers"]} == set(expected)
    assert shop.orders.orders == {}


def test_a_serviceable_postcode_clears_the_broadband_line(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    basket = shopper.add_bundle(
        basket["id"], [{"code": "bb-fibre-900"}], kind="broadband"
    )
    bundle = basket["bundles"][0]
    assert bundle["broken_rules"][0]["rule_id"] == "broadband-postcode"

    answer = shopper.call(
        "PATCH",
        f"/baskets/{basket['id']}/bundles/{bundle['id']}",
        {"postcode": "ls1 4ap"},
    )

    basket = answer.get_json()
    assert basket["bundles"][0]["broken_rules"] == []
    assert basket["bundles"][0]["postcode"] == "LS1 4AP"
    assert basket["totals"]["per_month"]["amount"] == 4500
    assert basket["can_checkout"]


def test_fixing_a_bundle_clears_its_rule(tmp_path):
    shop = build_shop(
        sqlite_url(tmp_path), {"northwind": copy.deepcopy(load_pack("northwind"))}
    )
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    basket = shopper.add_bundle(basket["id"], BUNDLES["one-sim-per-plan"])
    bundle_id = basket["bundles"][0]["id"]

    answer = shopper.call(
        "POST",
        f"/baskets/{basket['id']}/bundles/{bundle_id}/lines",
        {"code": "sim-esim"},
    )

    assert answer.status_code == 201
    assert answer.get_json()["bundles"][0]["broken_rules"] == []
