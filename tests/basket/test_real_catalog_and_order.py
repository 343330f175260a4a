"""The basket wired to the REAL catalog and order services over HTTP.

Both are the services' own Flask apps over their own SQLite databases, served
by werkzeug on free ports in this process; the basket reaches them through
CATALOG_URL and ORDER_URL, as in production.
"""

from datetime import timedelta

import requests

from services.basket.order_client import checkout_key
from tests.basket.harness import (
    DECEMBER_3RD,
    NORTHWIND,
    build_shop,
    checkout_body,
    customer_token,
    sqlite_url,
)
from tests.basket.real_peers import catalog_app, order_app, recorded_order_events
from tests.basket.standins import serving
from tests.basket.test_family_basket_totals import family_basket

HOST = "northwind.localhost"


def figures(basket):
    months = {m["month"]: m for m in basket["totals"]["months"]}
    return {
        "due_today": basket["totals"]["due_today"]["amount"],
        **{f"month {n}": (months[n]["amount"], months[n]["tax"]) for n in (1, 7, 13)},
    }


def test_the_family_basket_totals_match_with_the_real_catalog(tmp_path):
    with_pack = figures(family_basket(build_shop(sqlite_url(tmp_path / "p")))[1])

    (tmp_path / "c").mkdir()
    catalog = catalog_app(f"sqlite:///{tmp_path}/catalog.db")
    with serving(catalog) as catalog_url:
        (tmp_path / "b").mkdir()
        shop = build_shop(sqlite_url(tmp_path / "b"), catalog_url=catalog_url)
        _, basket = family_basket(shop)
    with_catalog = figures(basket)

    print("\nNorthwind family basket (GBP pence: amount, VAT)")
    for name in with_pack:
        print(f"  {name:>9}: pack {with_pack[name]}  real catalog {with_catalog[name]}")
    assert basket["can_checkout"], basket["checkout_blockers"]
    assert [c["code"] for c in basket["campaigns"]] == ["winter-unlimited"]
    assert with_catalog == with_pack
    assert with_catalog == {
        "due_today": 0,
        "month 1": (6264, 1044),
        "month 7": (7479, 1247),
        "month 13": (7969, 1328),
    }


def test_a_broken_rule_from_the_real_catalog_blocks_the_bundle(tmp_path):
    catalog = catalog_app(f"sqlite:///{tmp_path}/catalog.db")
    with serving(catalog) as catalog_url:
        shop = build_shop(sqlite_url(tmp_path), catalog_url=catalog_url)
        shopper = shop.client(NORTHWIND)
        basket = shopper.new_basket("web")
        basket = shopper.add_bundle(
            basket["id"], [{"code": "plan-smart-30", "term_months": 24}]
        )

    broken = basket["bundles"][0]["broken_rules"]
    print(f"\nplan without a SIM, per the real catalog: {broken}")
    assert broken and not basket["can_checkout"]


class SignedIn:
    """The shop as one signed-in customer sees it (for ``family_basket``)."""

    def __init__(self, shop, customer: str) -> None:
        self.shopper = shop.client(NORTHWIND).sign_in(customer)

    def client(self, tenant):
        return self.shopper


def test_checkout_places_one_order_in_the_real_order_service(tmp_path):
    order = order_app(f"sqlite:///{tmp_path}/order.db")
    with recorded_order_events() as published, serving(order) as order_url:
        shop = build_shop(sqlite_url(tmp_path), order_url=order_url)
        sent = []
        shop.orders.session.hooks["response"].append(
            lambda response, *args, **kwargs: sent.append(response.request)
        )
        shopper, basket = family_basket(SignedIn(shop, "customer-ada"))
        first, second = (b["id"] for b in basket["bundles"])
        body = checkout_body(basket)
        body["lines"][1] = {
            "bundle_id": second,
            "number": "port_in",
            "port_in": {
                "number": "07700900123",
                "pac_code": "ABC123456",
                "date": (DECEMBER_3RD + timedelta(days=7)).date().isoformat(),
            },
            "esim_email": "leo@example.com",
        }

        placed = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)
        again = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)
        calls_from_basket = len(sent)
        replayed = requests.Session().send(sent[0].copy())

    as_customer = {
        "Host": HOST,
        "Authorization": "Bearer "
        + customer_token("customer-ada", audience="telecart:order"),
    }
    orders = order.test_client().get("/api/order/orders", headers=as_customer)
    assert placed.status_code == 200, placed.get_json()
    receipt = placed.get_json()
    shown = orders.get_json()
    print(f"\nreceipt: {receipt}")
    print(f"repeat:  {again.get_json()}")
    print(f"same request sent again to the order service: {replayed.status_code}")
    for o in shown:
        print(
            f"order {o['number']}: {o['status']}, today {o['due_today']}, "
            f"monthly {o['monthly']}"
        )
        for line in o["lines"]:
            print(
                f"  {line['bundle']}: {line['product_code']} {line['sku']} "
                f"{line['price_option']} {line['sim_type']} "
                f"{line['number_choice']} {line['monthly']}"
            )
    print(f"order events: {[t for t, _ in published]}")

    assert receipt["order_reference"] and not receipt["repeated"]
    assert again.get_json()["order_reference"] == receipt["order_reference"]
    assert again.get_json()["repeated"] is True
    assert calls_from_basket == 1, "a checked-out basket calls no one again"
    assert sent[0].headers["Idempotency-Key"] == checkout_key(basket["id"])
    assert replayed.json()["reference"] == receipt["order_reference"]
    assert orders.status_code == 200
    assert [o["number"] for o in shown] == [receipt["order_reference"]]
    (only,) = shown
    assert only["status"] == receipt["order_status"] == "placed"
    assert (only["due_today"], only["monthly"]) == (0, 6264)
    assert [
        (
            line["sku"],
            line["price_option"],
            line["sim_type"],
            line["number_choice"],
            line["monthly"],
        )
        for line in sorted(only["lines"], key=lambda line: line["position"])
    ] == [
        ("DEV-IPHONE-16-128-BLACK", "instalment_24", "physical", "new", 5354),
        (None, None, "esim", "port_in", 910),
    ]
    assert [t for t, _ in published] == ["order.placed"]


def test_details_the_order_service_refuses_come_back_by_field(tmp_path):
    order = order_app(f"sqlite:///{tmp_path}/order.db")
    with recorded_order_events(), serving(order) as order_url:
        shop = build_shop(sqlite_url(tmp_path), order_url=order_url)
        shopper, basket = family_basket(SignedIn(shop, "customer-ada"))
        body = checkout_body(basket)
        body["contact"]["phone"] = "12345"

        refused = shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)
        after = shopper.call("GET", f"/baskets/{basket['id']}")

    problem = refused.get_json()
    print(f"\nrefused by the order service: {problem['errors']}")
    assert refused.status_code == 422
    assert [e["field"] for e in problem["errors"]] == ["order.customer.phone"]
    assert after.get_json()["status"] == "open"
    assert (
        order.test_client()
        .get(
            "/api/order/orders",
            headers={
                "Host": HOST,
                "Authorization": "Bearer "
                + customer_token("customer-ada", audience="telecart:order"),
            },
        )
        .get_json()
        == []
    )
