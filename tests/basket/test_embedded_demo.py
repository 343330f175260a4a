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
