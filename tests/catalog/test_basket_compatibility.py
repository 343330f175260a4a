"""A prospective basket gets back every rule it breaks, per bundle, in the
brand's words, and cross-sell suggestions."""

from tests.catalog.harness import NORTHWIND, VOLT, host

URL = "/api/catalog/compatibility"


def check(client, *bundles, tenant=NORTHWIND):
    body = {
        "bundles": [
            {"id": f"line-{i + 1}", "lines": lines} for i, lines in enumerate(bundles)
        ]
    }
    response = client.post(URL, json=body, headers=host(tenant))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def broken(verdict):
    return sorted((b["bundle"], b["rule"]) for b in verdict["broken_rules"])


def test_a_complete_bundle_breaks_nothing(client):
    verdict = check(
        client,
        [
            {
                "code": "device-iphone-16",
                "sku": "DEV-IPHONE-16-128-BLACK",
                "price_type": "instalment",
                "term_months": 24,
            },
            {"code": "plan-unlimited", "price_type": "recurring", "term_months": 24},
            {"code": "sim-esim"},
        ],
    )
    assert verdict["compatible"] is True and verdict["broken_rules"] == []


def test_every_broken_rule_is_named_with_the_brands_message_and_its_bundle(client):
    verdict = check(
        client,
        # bundle 1: instalment device, no plan
        [
            {
                "code": "device-pixel-9",
                "sku": "DEV-PIXEL-9-128-OBSIDIAN",
                "price_type": "instalment",
                "term_months": 24,
            }
        ],
        # bundle 2: eSIM with a device that has no eSIM, plan but fine otherwise
        [
            {"code": "device-moto-g54-5g", "price_type": "one_time"},
            {"code": "plan-smart-30", "price_type": "recurring"},
            {"code": "sim-esim"},
        ],
        # bundle 3: plan with no SIM, world roaming without a big plan
        [
            {"code": "plan-essential-5", "price_type": "recurring"},
            {"code": "addon-world-roam"},
        ],
    )
    messages = {b["rule"]: b["message"] for b in verdict["broken_rules"]}
    print(f"\nbroken rules: {broken(verdict)}")
    assert verdict["compatible"] is False
    assert broken(verdict) == [
        ("line-1", "instalments-need-plan"),
        ("line-2", "esim-needs-capable-device"),
        ("line-3", "one-sim-per-plan"),
        ("line-3", "requires:addon-world-roam"),
    ]
    assert messages["esim-needs-capable-device"] == (
        "The chosen device does not support eSIM."
    )
    assert "Max 100GB" in messages["requires:addon-world-roam"]


def test_unknown_products_are_reported_not_ignored(client):
    verdict = check(client, [{"code": "plan-unobtainium"}])
    assert broken(verdict) == [("line-1", "unknown-product")]


def test_rules_are_the_brands_own(client):
    verdict = check(client, [{"code": "volt-m"}], tenant=VOLT)
    assert [b["message"] for b in verdict["broken_rules"]] == [
        "Jeder Tarif braucht eine eSIM."
    ]


def test_cross_sell_suggests_what_is_not_yet_in_the_basket(client):
    verdict = check(
        client,
        [
            {"code": "device-iphone-16", "price_type": "one_time"},
            {"code": "acc-usb-c-charger"},
        ],
    )
    assert [s["code"] for s in verdict["suggestions"]] == ["addon-insurance"]
    assert verdict["suggestions"][0]["name"] == "Device Insurance"


def test_a_malformed_basket_is_refused_naming_the_field(client):
    response = client.post(
        URL, json={"bundles": [{"lines": [{"sku": "x"}]}]}, headers=host(NORTHWIND)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "bundles.0.lines.0.code"
