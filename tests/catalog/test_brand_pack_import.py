"""The three brand packs load; importing again updates in place; a bad pack
is refused whole, every problem named by its path, nothing stored."""

import copy

import pytest
from sqlalchemy import func, select

from services.catalog import service
from services.catalog.models import Campaign, Price, Product, StockLevel, Variant, db
from shared.http.app import runtime
from shared.tenancy import tenant_scope
from tests.catalog.harness import (
    BRANDS,
    NORTHWIND,
    VOLT,
    admin,
    build_app,
    catalog_sections,
    host,
    import_brand,
    load_pack,
)
from tests.support.tokens import bearer, mint

IMPORT_URL = "/api/catalog/admin/catalog-import"


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):
    """Registered brands with no catalog, for imports that must store nothing."""
    return build_app(f"sqlite:///{tmp_path_factory.mktemp('empty')}/catalog.db")


def counts(app, tenant):
    with app.app_context(), tenant_scope(tenant):
        figures = {
            model.__tablename__: db.session.scalar(select(func.count(model.id)))
            for model in (Product, Variant, Price, Campaign, StockLevel)
        }
        db.session.remove()
    return figures


def test_the_three_brand_packs_load(any_url):
    app = build_app(any_url)
    loaded = {}
    for tenant in BRANDS:
        summary = import_brand(app, tenant)
        pack = load_pack(tenant.slug)
        assert summary.products_created == len(pack["products"])
        loaded[tenant.slug] = counts(app, tenant)
    print(f"\nloaded: {loaded}")
    assert loaded["northwind"]["products"] == 22
    assert loaded["northwind"]["variants"] == 28
    assert loaded["volt"] == {**loaded["volt"], "products": 5, "variants": 0}
    assert loaded["harbor"]["campaigns"] == 1


def test_importing_again_updates_and_never_duplicates(any_url):
    app = build_app(any_url)
    import_brand(app, NORTHWIND)
    before = counts(app, NORTHWIND)

    sections = catalog_sections(load_pack("northwind"))
    sections = copy.deepcopy(sections)
    unlimited = next(p for p in sections["products"] if p["code"] == "plan-unlimited")
    unlimited["prices"][1]["amount"] = 2500
    sections["products"] = [
        p for p in sections["products"] if p["code"] != "bb-fibre-900"
    ]
    with app.app_context(), tenant_scope(NORTHWIND):
        summary = service.import_catalog(None, **sections)
        retired = db.session.scalar(
            select(Product.lifecycle).where(Product.code == "bb-fibre-900")
        )
        new_price = db.session.scalar(
            select(Price.amount)
            .join(Product, Price.product_id == Product.id)
            .where(Product.code == "plan-unlimited", Price.term_months == 24)
        )
        db.session.remove()
    after = counts(app, NORTHWIND)

    assert summary.products_created == 0 and summary.products_updated == 21
    assert after["products"] == before["products"]
    assert after["variants"] == before["variants"]
    assert after["prices"] == before["prices"]  # retired keeps its prices
    assert retired == "retired" and new_price == 2500
    client = app.test_client()
    listed = client.get("/api/catalog/products?type=broadband", headers=host(NORTHWIND))
    still_readable = client.get(
        "/api/catalog/products/bb-fibre-900", headers=host(NORTHWIND)
    )
    assert [i["code"] for i in listed.get_json()["items"]] == ["bb-fibre-150"]
    assert still_readable.status_code == 200
    assert still_readable.get_json()["lifecycle"] == "retired"


def test_a_bad_pack_is_refused_whole_with_every_problem_named(sqlite_url):
    app = build_app(sqlite_url)
    sections = copy.deepcopy(catalog_sections(load_pack("northwind")))
    sections["products"][1]["code"] = sections["products"][0]["code"]
    sections["products"][2]["variants"][0]["prices"][0]["amount"] = -1
    sections["settings"]["currency"] = "XXX"
    sections["rules"][1]["when"]["codes"] = ["sim-nope"]
    sections["campaigns"][0]["valid"]["to"] = "2026-01-01T00:00:00Z"

    client = app.test_client()
    response = client.post(
        IMPORT_URL,
        json=sections,
        headers=admin(NORTHWIND),
    )
    fields = sorted(e["field"] for e in response.get_json()["errors"])
    print(f"\nrefused: {fields}")
    assert response.status_code == 422
    assert fields == [
        "campaigns[0].valid.to",
        "products[1].code",
        "products[2].variants[0].prices[0].amount",
        "rules[1].when.codes[0]",
        "settings.currency",
    ]
    assert counts(app, NORTHWIND)["products"] == 0


@pytest.mark.parametrize(
    "who, status",
    [
        ("no token", 401),
        ("a token not signed by the tenant service", 401),
        ("an expired tenant_admin token", 401),
        ("a customer of the brand", 403),
        ("a tenant_admin of another brand", 403),
        ("a tenant_admin token meant for the basket", 401),
    ],
)
def test_only_a_tenant_admin_of_the_brand_may_import(sqlite_url, who, status):
    app = build_app(sqlite_url)
    tokens = {
        "no token": None,
        "a token not signed by the tenant service": "e30.e30.bm90LXNpZ25lZA",
        "an expired tenant_admin token": mint(
            "catalog", VOLT, ["tenant_admin"], ttl_s=-120
        ),
        "a customer of the brand": mint("catalog", VOLT, ["customer"], "ana"),
        "a tenant_admin of another brand": mint("catalog", NORTHWIND, ["tenant_admin"]),
        "a tenant_admin token meant for the basket": mint(
            "basket", VOLT, ["tenant_admin"]
        ),
    }
    headers = host(VOLT)
    if tokens[who]:
        headers.update(bearer(tokens[who]))

    response = app.test_client().post(
        IMPORT_URL, json=catalog_sections(load_pack("volt")), headers=headers
    )

    assert response.status_code == status, response.get_json()
    assert counts(app, VOLT)["products"] == 0


def test_the_admin_endpoint_imports_and_the_storefront_sees_it_at_once(sqlite_url):
    app = build_app(sqlite_url)
    client = app.test_client()
    staff = admin(VOLT)
    empty = client.get("/api/catalog/products", headers=host(VOLT))

    imported = client.post(
        IMPORT_URL, json=catalog_sections(load_pack("volt")), headers=staff
    )
    listed = client.get("/api/catalog/products", headers=host(VOLT))

    assert empty.status_code == 404  # no catalog settings yet: not imported
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["products_created"] == 5
    assert listed.get_json()["total"] == 5
    assert runtime(app).extras["catalog_cache"] is not None


@pytest.mark.parametrize(
    "damage, field",
    [
        (lambda s: s["products"][0].update(variants="DEV-1"), "products[0].variants"),
        (
            lambda s: s["products"][0]["variants"][0].update(prices=[{"type": "x"}]),
            "products[0].variants[0].prices[0].amount",
        ),
        (
            lambda s: s["products"][10].update(attributes=["5G"]),
            "products[10].attributes",
        ),
        (lambda s: s["products"][3].update(name=None), "products[3].name"),
        (lambda s: s["rules"][0].update(when="always"), "rules[0].when"),
        (
            lambda s: s["campaigns"][0]["discount"].update(percent="half"),
            "campaigns[0].discount.percent",
        ),
        (
            lambda s: s["settings"]["tax"].update(rate_percent=20.5),
            "settings.tax.rate_percent",
        ),
        (lambda s: s["cross_sell"][0].pop("from"), "cross_sell[0].from"),
    ],
)
def test_a_value_of_the_wrong_shape_is_named_and_nothing_is_stored(
    empty_app, damage, field
):
    app = empty_app
    sections = catalog_sections(load_pack("northwind"))
    damage(sections)

    response = app.test_client().post(
        IMPORT_URL,
        json=sections,
        headers=admin(NORTHWIND),
    )

    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert counts(app, NORTHWIND)["products"] == 0


def test_two_imports_at_once_queue_instead_of_colliding(postgres_url):
    import threading

    app = build_app(postgres_url)
    errors = []

    def run():
        try:
            import_brand(app, NORTHWIND)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert counts(app, NORTHWIND)["products"] == 22
    assert counts(app, NORTHWIND)["variants"] == 28
