"""Northwind's catalog lists, filters and searches as a shopper expects."""

import json

from tests.catalog.harness import HARBOR, NORTHWIND, host

PRODUCTS = "/api/catalog/products"


def names(response):
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def test_searching_iphone_finds_the_iphones_and_nothing_else(client):
    found = names(client.get(f"{PRODUCTS}?q=iphone", headers=host(NORTHWIND)))
    print(f"\n'iphone' -> {found}")
    assert found == ["Apple iPhone 15", "Apple iPhone 16", "Apple iPhone 16 Pro"]


def test_search_matches_word_prefixes_brand_and_attributes(client):
    pro = names(client.get(f"{PRODUCTS}?q=iphone%20pro", headers=host(NORTHWIND)))
    samsung = names(client.get(f"{PRODUCTS}?q=galax", headers=host(NORTHWIND)))
    titanium = names(client.get(f"{PRODUCTS}?q=titanium", headers=host(NORTHWIND)))
    nothing = names(client.get(f"{PRODUCTS}?q=nokia", headers=host(NORTHWIND)))
    assert pro == ["Apple iPhone 16 Pro"]
    assert samsung == ["Samsung Galaxy A55 5G", "Samsung Galaxy S25"]
    assert titanium == ["Apple iPhone 16 Pro"]
    assert nothing == []


def test_5g_plans_under_20_a_month(client):
    found = names(
        client.get(
            f"{PRODUCTS}?type=plan&network=5G&monthly_max=1999&sort=price_monthly",
            headers=host(NORTHWIND),
        )
    )
    print(f"\n5G plans under 20/month -> {found}")
    assert found == ["Smart 30GB"]


def test_devices_with_esim_leave_out_the_moto_g54(client):
    response = client.get(
        f"{PRODUCTS}?type=device&esim=true&page_size=50", headers=host(NORTHWIND)
    )
    found = names(response)
    print(f"\ndevices with eSIM -> {len(found)}: {found}")
    assert "Motorola moto g54 5G" not in found
    assert len(found) == 8
    assert response.get_json()["facets"]["brand"] == {
        "Apple": 3,
        "Samsung": 2,
        "Google": 2,
        "Fairphone": 1,
    }


def test_unlimited_data_counts_as_any_allowance(client):
    found = names(
        client.get(
            f"{PRODUCTS}?type=plan&data_gb_min=50&sort=price_monthly",
            headers=host(NORTHWIND),
        )
    )
    unlimited = names(client.get(f"{PRODUCTS}?unlimited=true", headers=host(NORTHWIND)))
    assert found == ["Max 100GB", "Unlimited"]
    assert unlimited == ["Unlimited"]
    facets = client.get(f"{PRODUCTS}?type=plan", headers=host(NORTHWIND)).get_json()
    assert facets["facets"]["data_gb_at_least"] == {
        "5": 4,
        "10": 3,
        "30": 3,
        "50": 2,
        "100": 2,
    }
    assert facets["facets"]["monthly_at_most"] == {
        "1000": 1,
        "2000": 3,
        "3000": 4,
        "5000": 4,
    }


def test_price_filters_and_sorting_use_due_today_and_per_month(client):
    cheap = names(
        client.get(
            f"{PRODUCTS}?type=device&today_max=50000&sort=-price_today",
            headers=host(NORTHWIND),
        )
    )
    assert cheap == ["Google Pixel 8a", "Samsung Galaxy A55 5G", "Motorola moto g54 5G"]


def test_pages_carry_an_x_pagination_header_and_facets_for_every_match(client):
    response = client.get(
        f"{PRODUCTS}?type=device&page=2&page_size=4", headers=host(NORTHWIND)
    )
    pagination = json.loads(response.headers["X-Pagination"])
    body = response.get_json()
    assert pagination["total"] == 9 and pagination["page"] == 2
    assert pagination["total_pages"] == 3
    assert len(body["items"]) == 4
    assert body["facets"]["type"] == {"device": 9}
    assert body["facets"]["esim"] == 8


def test_unknown_filter_values_are_refused_naming_the_field(client):
    response = client.get(f"{PRODUCTS}?type=spaceship", headers=host(NORTHWIND))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"].startswith("type")


def test_product_detail_shows_prices_with_and_without_tax(client):
    response = client.get(f"{PRODUCTS}/device-iphone-16", headers=host(NORTHWIND))
    body = response.get_json()
    black = body["variants"][0]
    outright = next(p for p in black["prices"] if p["type"] == "one_time")
    assert body["currency"] == "GBP" and len(body["variants"]) == 6
    assert outright == {
        **outright,
        "amount": 79900,
        "incl_tax": 79900,
        "excl_tax": 66583,  # 799.00 / 1.20, rounded half up
    }
    assert {p["term_months"] for p in black["prices"] if p["type"] == "instalment"} == {
        24,
        36,
    }


def test_a_tax_exclusive_brand_shows_the_tax_added(client):
    body = client.get(f"{PRODUCTS}/device-iphone-16", headers=host(HARBOR)).get_json()
    outright = next(p for p in body["variants"][0]["prices"] if p["type"] == "one_time")
    assert body["currency"] == "EUR"
    assert (outright["excl_tax"], outright["incl_tax"]) == (75905, 93363)


def test_product_reads_carry_an_etag_and_answer_304_when_unchanged(client):
    first = client.get(f"{PRODUCTS}/plan-unlimited", headers=host(NORTHWIND))
    again = client.get(
        f"{PRODUCTS}/plan-unlimited",
        headers={**host(NORTHWIND), "If-None-Match": first.headers["ETag"]},
    )
    assert first.status_code == 200 and first.headers["ETag"]
    assert again.status_code == 304


def test_broadband_serviceability_by_postcode_area(client):
    def available(code, postcode):
        response = client.get(
            f"{PRODUCTS}/{code}/serviceability?postcode={postcode}",
            headers=host(NORTHWIND),
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["available"]

    assert available("bb-fibre-150", "LS1 4AP") is True
    assert available("bb-fibre-150", "G1 1XQ") is True
    assert available("bb-fibre-900", "G1 1XQ") is False
    assert available("bb-fibre-900", "M1 1AE") is True
    assert available("bb-fibre-900", "ML1 1AA") is False  # Motherwell is not M
    bad = client.get(
        f"{PRODUCTS}/bb-fibre-150/serviceability?postcode=<script>",
        headers=host(NORTHWIND),
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "postcode"


def test_relevance_sorting_ranks_the_matches(client):
    found = names(
        client.get(f"{PRODUCTS}?q=iphone&sort=relevance", headers=host(NORTHWIND))
    )
    assert sorted(found) == [
        "Apple iPhone 15",
        "Apple iPhone 16",
        "Apple iPhone 16 Pro",
    ]


def test_a_listing_page_carries_an_etag_too(client):
    first = client.get(f"{PRODUCTS}?type=plan", headers=host(NORTHWIND))
    again = client.get(
        f"{PRODUCTS}?type=plan",
        headers={**host(NORTHWIND), "If-None-Match": first.headers["ETag"]},
    )
    other = client.get(f"{PRODUCTS}?type=sim", headers=host(NORTHWIND))
    assert again.status_code == 304
    assert other.headers["ETag"] != first.headers["ETag"]
    assert "X-Pagination" in first.headers
