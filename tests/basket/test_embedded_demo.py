"""The embedded default: the basket answers from the demo brand packs."""

import dataclasses

from services.basket.app import create_app
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from tests.basket.harness import NORTHWIND


def test_a_demo_brand_sells_from_its_pack_with_no_catalog_or_order_service(tmp_path):
    url = f"sqlite:///{tmp_path}/basket.db"
    settings = dataclasses.replace(load_settings(), database_urls={"basket": url})
    app = create_app(settings)
    engine = migration_engine(url)
    upgrade_platform(engine, "basket")
    with engine.begin() as connection:
        runtime(app).registry.upsert(
            connection, tenant_id=NORTHWIND.id, slug="northwind", status="active"
        )
    upgrade_tenant(engine, "basket", "northwind")
    engine.dispose()
    http, host = app.test_client(), {"Host": "northwind.localhost"}

    basket = http.post("/api/basket/baskets", json={"channel": "app"}, headers=host)
    token = {**host, "X-Basket-Token": basket.get_json()["token"]}
    added = http.post(
        f"/api/basket/baskets/{basket.get_json()['id']}/bundles",
        json={
            "lines": [
                {"code": "plan-essential-5", "term_months": 1},
                {"code": "sim-esim"},
            ]
        },
        headers=token,
    )

    assert basket.status_code == 201
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["totals"]["per_month"] == {
        "amount": 1200,
        "tax": 200,
        "excluding_tax": 1000,
        "including_tax": 1200,
        "currency": "GBP",
    }


def test_tenant_settings_from_an_event_set_tax_and_basket_expiry(tmp_path):
    from services.basket.brand import brand_terms, take_tenant_settings
    from services.basket.models import db
    from shared.tenancy import tenant_scope
    from tests.basket.harness import build_shop, load_pack

    shop = build_shop(
        f"sqlite:///{tmp_path}/basket.db", {"northwind": load_pack("northwind")}
    )
    payload = {
        "id": NORTHWIND.id,
        "slug": "northwind",
        "currency": "GBP",
        "tax": {"rate_percent": 5, "prices_include_tax": True},
        "settings": {"basket_ttl_hours": 48, "basket_abandon_after_minutes": 90},
    }

    with shop.app.app_context(), tenant_scope(NORTHWIND):
        take_tenant_settings(payload)
        db.session.commit()
        terms = brand_terms()
        db.session.remove()

    assert (terms.tax_rate_percent, terms.basket_ttl_hours) == (5, 48)
    assert terms.abandon_after_minutes == 90
    assert terms.channels == ["web", "app", "retail", "telesales"]
