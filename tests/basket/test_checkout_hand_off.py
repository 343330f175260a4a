"""Checkout takes the telecom details, re-validates, and places one order."""

from concurrent.futures import ThreadPoolExecutor

from services.basket.order_client import checkout_key
from tests.basket.harness import NORTHWIND, build_shop, checkout_body, sqlite_url

IPHONE_LINE = [
    {"code": "plan-max-100", "term_months": 24},
    {"code": "sim-physical"},
    {
        "code": "device-iphone-16",
        "sku": "DEV-IPHONE-16-256-BLACK",
        "price_type": "one_time",
    },
]
ESIM_LINE = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


def two_line_basket(shop):
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    shopper.add_bundle(basket["id"], IPHONE_LINE)
    return shopper, shopper.add_bundle(basket["id"], ESIM_LINE)


def test_checkout_places_one_order_and_a_repeat_returns_the_same_reference(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper, basket = two_line_basket(shop)
    body = checkout_body(basket)
    body["lines"][0] = {
        "bundle_id": basket["bundles"][0]["id"],
        "number": "port_in",
        "port_in": {
            "number": "07700900123",
            "pac_code": "ABC123456",
            "date": "2026-12-08",
        },
    }

    first = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)
    second = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)

    assert first.status_code == 200, first.get_json()
    assert second.status_code == 200
    receipt = first.get_json()
    print(
        f"\ncheckout x2: {receipt['order_reference']}, "
        f"{second.get_json()['order_reference']}; orders {len(shop.orders.orders)}"
    )
    assert second.get_json()["order_reference"] == receipt["order_reference"]
    assert second.get_json()["repeated"] is True
    assert list(shop.orders.orders) == [checkout_key(basket["id"])]

    order = shop.orders.orders[checkout_key(basket["id"])]["order"]
    assert order["totals"]["due_today"]["amount"] == 89900
    assert order["totals"]["per_month"]["amount"] == 2000 + 1300
    port, esim = (bundle["line"] for bundle in order["bundles"])
    assert port["number"] == "port_in"
    assert port["port_in"] == {
        "number": "07700900123",
        "pac_code": "ABC123456",
        "date": "2026-12-08",
    }
    assert esim == {**esim, "number": "new", "esim_email": "ada@example.com"}

    shown = shopper.call("GET", f"/baskets/{basket['id']}").get_json()
    assert shown["status"] == "checked_out"
    assert shown["order_reference"] == receipt["order_reference"]
    change = shopper.call(
        "POST", f"/baskets/{basket['id']}/bundles", {"lines": ESIM_LINE}
    )
    assert change.status_code == 409


def test_bad_telecom_details_are_named_field_by_field_and_nothing_is_placed(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper, basket = two_line_basket(shop)
    body = checkout_body(basket)
    body["lines"][0] = {
        "bundle_id": basket["bundles"][0]["id"],
        "number": "port_in",
        "port_in": {"number": "07700900123", "pac_code": "12AB", "date": "2026-12-08"},
    }

    bad_pac = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)
    body["lines"][0]["port_in"].update(pac_code="ABC123456", date="2026-12-03")
    del body["lines"][1]["esim_email"]
    too_soon = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)

    assert bad_pac.status_code == 422
    assert [e["field"] for e in bad_pac.get_json()["errors"]] == [
        "lines.0.port_in.pac_code"
    ]
    assert too_soon.status_code == 422
    first, second = (b["id"] for b in basket["bundles"])
    assert [e["field"] for e in too_soon.get_json()["errors"]] == [
        f"lines[{first}].port_in.date",
        f"lines[{second}].esim_email",
    ]
    assert shop.orders.orders == {}
    shown = shopper.call("GET", f"/baskets/{basket['id']}").get_json()
    assert shown["status"] == "open"


def test_concurrent_checkouts_of_one_basket_place_one_order(postgres_url):
    shop = build_shop(postgres_url, pool_size=10)
    shopper, basket = two_line_basket(shop)
    body = checkout_body(basket)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda _: shopper.call(
                    "POST", f"/baskets/{basket['id']}/checkout", body
                ),
                range(6),
            )
        )

    references = {a.get_json()["order_reference"] for a in answers}
    print(
        f"\n6 concurrent checkouts of one basket: {len(references)} order, "
        f"{shop.orders.calls} order call(s)"
    )
    assert [a.status_code for a in answers] == [200] * 6
    assert len(references) == 1
    assert len(shop.orders.orders) == 1
    assert shop.orders.calls == 1
