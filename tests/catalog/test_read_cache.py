"""Reads are cached per tenant and a change shows at once (in process and Redis)."""

import copy

import pytest

from services.catalog import service
from services.catalog.cache import CatalogCache, InProcessBackend, RedisBackend
from services.catalog.models import db
from shared.http.app import runtime
from shared.tenancy import tenant_scope
from tests.catalog.harness import (
    NORTHWIND,
    VOLT,
    build_app,
    catalog_sections,
    host,
    import_brand,
    load_pack,
)
from tests.support.services import REDIS_URL, missing, reachable


def redis_backend():
    if not reachable(REDIS_URL, 6379):
        missing("Redis", REDIS_URL)
    return RedisBackend(REDIS_URL)


@pytest.mark.parametrize("backend", ["in-process", "redis"])
def test_a_reimport_invalidates_the_brands_cached_reads(sqlite_url, backend):
    app = build_app(sqlite_url)
    cache = CatalogCache(
        InProcessBackend() if backend == "in-process" else redis_backend()
    )
    runtime(app).extras["catalog_cache"] = cache
    for tenant in (NORTHWIND, VOLT):
        import_brand(app, tenant)
    client = app.test_client()
    url = "/api/catalog/products/plan-unlimited"

    first = client.get(url, headers=host(NORTHWIND))
    cached = client.get(url, headers=host(NORTHWIND))
    volt_before = client.get("/api/catalog/products", headers=host(VOLT)).get_json()

    sections = copy.deepcopy(catalog_sections(load_pack("northwind")))
    unlimited = next(p for p in sections["products"] if p["code"] == "plan-unlimited")
    unlimited["prices"][0]["amount"] = 2900
    with app.app_context(), tenant_scope(NORTHWIND):
        service.import_catalog(cache, **sections)
        db.session.remove()
    changed = client.get(url, headers=host(NORTHWIND))
    volt_after = client.get("/api/catalog/products", headers=host(VOLT)).get_json()

    assert first.headers["ETag"] == cached.headers["ETag"]
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert [p["amount"] for p in changed.get_json()["prices"]] == [2900, 2700]
    assert volt_before == volt_after
