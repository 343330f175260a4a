"""The HTTP clients of catalog and order, against real local servers."""

import pybreaker
import pytest

from services.basket.catalog_client import CatalogUnavailable, HttpCatalogClient
from services.basket.order_client import HttpOrderClient, checkout_key
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


def test_the_order_client_sends_one_idempotency_key_per_basket():
    standin = order_standin()
    with serving(standin) as url:
        client = HttpOrderClient(url)
        first = client.place_order(
            {"basket_id": "b-1"}, checkout_key("b-1"), "northwind.localhost"
        )
        again = client.place_order(
            {"basket_id": "b-1"}, checkout_key("b-1"), "northwind.localhost"
        )

    assert first == again
    assert list(standin.config["orders"]) == ["basket-checkout-b-1"]
    assert standin.config["orders"]["basket-checkout-b-1"]["host"] == (
        "northwind.localhost"
    )
