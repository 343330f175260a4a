"""The HTTP clients of catalog and order, against real local servers."""

import pybreaker
import pytest

from services.basket.catalog_client import CatalogUnavailable, HttpCatalogClient
from services.basket.order_client import HttpOrderClient, OrderRefused, checkout_key
from tests.basket.harness import NORTHWIND, build_shop, load_pack, sqlite_url
from tests.basket.standins import catalog_standin, order_standin, serving
from tests.basket.test_family_basket_totals import family_basket


def test_the_family_basket_prices_the_same_through_the_http_catalog(tmp_path):
    pack = load_pack("northwind")
    with serving(catalog_standin(pack)) as url:
        shop = build_shop(sqlite_url(tmp_path), {"northwind": pack})
        http = HttpCatalogClient(url, host="northwind.localhost", timeout_s=2)
        shop.app.extensions["basket"].catalogs = lambda tenant: http

        _, basket = family_basket(shop)

    months = {m["month"]: m["amount"] for m in basket["totals"]["months"]}
    print(f"\nthrough HTTP: months 1/7/13 = {months[1]}/{months[7]}/{months[13]}")
    assert (months[1], months[7], months[13]) == (6264, 7479, 7969)


def test_the_catalog_circuit_opens_after_repeated_failures(tmp_path):
    standin = catalog_standin(load_pack("northwind"))
    standin.config["failing"] = True
    with serving(standin) as url:
        http = HttpCatalogClient(
            url,
            host="northwind.localhost",
            breaker=pybreaker.CircuitBreaker(fail_max=3, reset_timeout=60),
        )
        failures = []
        for _ in range(6):
            with pytest.raises(CatalogUnavailable) as caught:
                http.offer("plan-unlimited")
            failures.append(str(caught.value))

    print(f"\ncatalog down: {standin.config['calls']} calls reached it of 6")
    assert standin.config["calls"] == 3
    assert failures[-1] == "catalog circuit is open"


def test_an_unreachable_catalog_answers_503_and_changes_nothing(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    dead = HttpCatalogClient(
        "http://127.0.0.1:9", host="northwind.localhost", timeout_s=0.5
    )
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    shop.app.extensions["basket"].catalogs = lambda tenant: dead

    answer = shopper.call(
        "POST", f"/baskets/{basket['id']}/bundles", {"lines": [{"code": "sim-esim"}]}
    )

    assert answer.status_code == 503
    assert answer.get_json()["type"].endswith("/catalog-unavailable")


SIM_ONLY_MONEY = {"amount": 1300, "including_tax": 1300}
HANDOFF = {
    "basket_id": "b-1",
    "customer_id": None,
    "channel": "web",
    "currency": "GBP",
    "contact": {"email": "ada@example.com", "phone": "07700 900 001"},
    "delivery_address": {"line1": "1 Park Row", "city": "Leeds", "postcode": "LS1"},
    "payment_provider": "sandbox",
    "payment_method_token": "tok_approve",
    "bundles": [
        {
            "id": "bundle-1",
            "kind": "mobile",
            "postcode": None,
            "line": {"number": "new", "sim_type": "esim", "esim_email": "a@b.co"},
            "items": [
                {
                    "type": "plan",
                    "code": "plan-smart-30",
                    "name": "Smart 30GB",
                    "term_months": 24,
                },
                {"type": "sim", "code": "sim-esim", "name": "eSIM"},
            ],
            "due_today": {"amount": 0, "including_tax": 0},
            "per_month": SIM_ONLY_MONEY,
        }
    ],
}


def test_the_order_client_sends_one_idempotency_key_per_basket():
    standin = order_standin()
    with serving(standin) as url:
        client = HttpOrderClient(url)
        first = client.place_order(HANDOFF, checkout_key("b-1"), "northwind.localhost")
        again = client.place_order(HANDOFF, checkout_key("b-1"), "northwind.localhost")

    assert first == again
    assert list(standin.config["orders"]) == ["basket-checkout-b-1"]
    sent = standin.config["orders"]["basket-checkout-b-1"]
    assert sent["host"] == "northwind.localhost"
    assert sent["body"]["customer"] == {
        "email": "ada@example.com",
        "phone": "07700900001",
    }
    assert sent["body"]["lines"] == [
        {
            "kind": "mobile",
            "bundle": "Smart 30GB",
            "plan_code": "plan-smart-30",
            "plan_term_months": 24,
            "addons": [],
            "sim_type": "esim",
            "esim_email": "a@b.co",
            "number": {"type": "new"},
            "due_today": 0,
            "monthly": 1300,
        }
    ]
    assert sent["body"]["totals"] == {"due_today": 0, "monthly": 1300}


def test_a_basket_the_order_service_cannot_take_is_refused_before_sending():
    broadband = {
        **HANDOFF,
        "delivery_address": {},
        "bundles": [{**HANDOFF["bundles"][0], "kind": "broadband"}],
    }
    standin = order_standin()
    with serving(standin) as url:
        with pytest.raises(OrderRefused) as refused:
            HttpOrderClient(url).place_order(
                broadband, checkout_key("b-2"), "northwind.localhost"
            )

    print(f"\nrefused: {refused.value.errors}")
    assert [e["field"] for e in refused.value.errors] == [
        "bundles[0].kind",
        "delivery_address",
    ]
    assert standin.config["orders"] == {}
