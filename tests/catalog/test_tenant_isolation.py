"""One brand's catalog is never visible on another brand's host, cached or not."""

from services.catalog.cache import InProcessBackend
from shared.http.app import runtime
from tests.catalog.harness import BRANDS, HARBOR, NORTHWIND, VOLT, host


def codes(client, tenant, query=""):
    response = client.get(
        f"/api/catalog/products?page_size=100{query}", headers=host(tenant)
    )
    assert response.status_code == 200, response.get_json()
    return {item["code"] for item in response.get_json()["items"]}


def test_each_host_lists_only_its_own_brands_products(client):
    northwind = codes(client, NORTHWIND)
    volt = codes(client, VOLT)
    harbor = codes(client, HARBOR)

    leaks = (volt - {c for c in volt if c.startswith("volt-")}) | (
        volt & (northwind | harbor)
    )
    print(
        f"\nproducts per host: northwind {len(northwind)}, volt {len(volt)}, "
        f"harbor {len(harbor)}; volt sees other brands' products: {len(leaks)}"
    )
    assert len(northwind) == 22 and len(harbor) == 10
    assert volt == {"volt-s", "volt-m", "volt-l", "volt-esim", "volt-roam-world"}
    assert codes(client, VOLT, "&q=iphone") == set()


def test_the_same_product_code_has_each_brands_own_price(client):
    path = "/api/catalog/products/device-iphone-16"
    northwind = client.get(path, headers=host(NORTHWIND)).get_json()
    harbor = client.get(path, headers=host(HARBOR)).get_json()
    on_volt = client.get(path, headers=host(VOLT))

    assert northwind["variants"][0]["prices"][0]["amount"] == 79900
    assert harbor["variants"][0]["prices"][0]["amount"] == 75905
    assert on_volt.status_code == 404


def test_an_unknown_host_is_refused(client):
    response = client.get("/api/catalog/products", headers={"Host": "nobody.localhost"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_every_cache_key_starts_with_its_tenant(catalog_app, client):
    for tenant in BRANDS:
        for query in ("", "&q=unlimited", "&type=plan"):
            codes(client, tenant, query)
        client.get("/api/catalog/products/plan-unlimited", headers=host(tenant))

    backend = runtime(catalog_app).extras["catalog_cache"].backend
    assert isinstance(backend, InProcessBackend)
    keys = backend.keys()
    tenant_ids = {t.id for t in BRANDS}
    without = [k for k in keys if k.split(":", 1)[0] not in tenant_ids]
    print(f"\ncache keys: {len(keys)}, without their tenant: {len(without)}")
    assert len(keys) >= 9 and without == []
