"""Operators create, change, suspend and resume brands; the saga activates them."""

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from services.tenant import events
from services.tenant.models import db
from tests.support.services import fresh_postgres_database
from tests.tenant.harness import (
    answer_ready,
    bearer,
    brand_body,
    build_tenant_app,
    create_active_brand,
    make_operator,
    operator_token,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def platform():
    url, drop = fresh_postgres_database()
    app, bus = build_tenant_app(url, provisioning_timeout_s=0.5)
    make_operator(app)
    yield app, bus, operator_token(app)
    with app.app_context():
        app.extensions["telecart"].engine.dispose()
    drop()


def test_a_new_brand_is_provisioning_until_all_five_services_answer(platform):
    app, bus, ops = platform
    client = app.test_client()

    created = client.post(
        "/api/tenant/tenants", json=brand_body("lumen"), headers=bearer(ops)
    )
    brand = created.get_json()
    answer_ready(app, brand["id"], services=("catalog", "channel", "basket"))
    time.sleep(0.6)  # past TENANT_PROVISIONING_TIMEOUT_S of this app
    stuck = client.get(
        f"/api/tenant/tenants/{brand['id']}/provisioning", headers=bearer(ops)
    ).get_json()
    storefront_while_stuck = client.get(
        "/api/tenant/config", headers={"Host": "lumen.localhost"}
    )
    answer_ready(app, brand["id"], services=("order", "payment"))
    done = client.get(
        f"/api/tenant/tenants/{brand['id']}/provisioning", headers=bearer(ops)
    ).get_json()
    storefront = client.get("/api/tenant/config", headers={"Host": "lumen.localhost"})

    missing, timed_out = stuck["missing"], stuck["timed_out"]
    print(f"\nprovisioning stuck: missing {missing}, timed out {timed_out}")
    assert created.status_code == 201 and brand["status"] == "provisioning"
    assert stuck["missing"] == ["order", "payment"] and stuck["timed_out"] is True
    assert storefront_while_stuck.status_code == 403
    assert done["status"] == "active" and done["missing"] == []
    assert storefront.status_code == 200
    created_event = bus.of_type("tenant.created")[-1]
    assert created_event["tenant_id"] == brand["id"]
    assert set(created_event["payload"]) == {
        "id",
        "slug",
        "name",
        "status",
        "domains",
        "currency",
        "locale",
        "languages",
        "tax",
        "features",
        "settings",
    }
    assert bus.of_type("tenant.updated")[-1]["payload"]["status"] == "active"


def test_bad_brand_fields_are_each_named_and_nothing_is_stored(platform):
    app, bus, ops = platform
    client = app.test_client()
    before = len(client.get("/api/tenant/tenants", headers=bearer(ops)).get_json())
    body = brand_body(
        "Bad Slug!",
        currency="ABC",
        languages=["en-GB"],
        locale="fr-FR",
        theme={"primary": "blue; background: url(evil)"},
        settings={"basket_expiry_minutes": 0},
    )

    refused = client.post("/api/tenant/tenants", json=body, headers=bearer(ops))

    fields = sorted(e["field"] for e in refused.get_json()["errors"])
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert fields == [
        "currency",
        "languages",
        "settings.basket_expiry_minutes",
        "slug",
        "theme.primary",
    ]
    after = len(client.get("/api/tenant/tenants", headers=bearer(ops)).get_json())
    assert after == before


def test_a_taken_slug_or_domain_is_a_conflict(platform):
    app, _, ops = platform
    client = app.test_client()
    client.post("/api/tenant/tenants", json=brand_body("orbit"), headers=bearer(ops))

    again = client.post(
        "/api/tenant/tenants", json=brand_body("orbit"), headers=bearer(ops)
    )

    assert again.status_code == 409


def test_suspending_a_brand_closes_its_storefront_and_resuming_reopens_it(platform):
    app, bus, ops = platform
    brand = create_active_brand(app, ops, "pulse")
    client = app.test_client()
    host = {"Host": "pulse.localhost"}

    open_before = client.get("/api/tenant/config", headers=host).status_code
    suspended = client.post(
        f"/api/tenant/tenants/{brand['id']}/suspend", headers=bearer(ops)
    )
    closed = client.get("/api/tenant/config", headers=host)
    resumed = client.post(
        f"/api/tenant/tenants/{brand['id']}/resume", headers=bearer(ops)
    )
    reopened = client.get("/api/tenant/config", headers=host).status_code

    assert (open_before, suspended.get_json()["status"]) == (200, "suspended")
    assert closed.status_code == 403
    assert closed.get_json()["type"].endswith("/tenant-suspended")
    assert bus.of_type("tenant.suspended")[-1]["payload"]["id"] == brand["id"]
    assert resumed.get_json()["status"] == "active" and reopened == 200
    assert bus.of_type("tenant.resumed")[-1]["payload"]["status"] == "active"


def test_an_update_changes_fields_but_never_the_slug(platform):
    app, bus, ops = platform
    brand = create_active_brand(app, ops, "tidal")
    client = app.test_client()
    path = f"/api/tenant/tenants/{brand['id']}"

    changed = client.patch(
        path,
        json={"name": "Tidal Telecom", "settings": {"order_auto_cancel_minutes": 45}},
        headers=bearer(ops),
    )
    renamed = client.patch(path, json={"slug": "tidal-two"}, headers=bearer(ops))

    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["name"] == "Tidal Telecom"
    assert changed.get_json()["settings"]["order_auto_cancel_minutes"] == 45
    assert changed.get_json()["settings"]["basket_expiry_minutes"] == 10080
    assert renamed.status_code == 422
    assert bus.of_type("tenant.updated")[-1]["payload"]["name"] == "Tidal Telecom"


def test_operator_apis_refuse_missing_tokens_and_non_operators(platform):
    app, _, ops = platform
    client = app.test_client()

    anonymous = client.get("/api/tenant/tenants")
    forged = client.get("/api/tenant/tenants", headers=bearer(ops + "x"))

    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert forged.status_code == 401


def test_the_brand_config_and_theme_are_cacheable_with_an_etag(platform):
    app, _, ops = platform
    brand = create_active_brand(app, ops, "prism")
    client = app.test_client()
    host = {"Host": "prism.localhost"}

    config = client.get("/api/tenant/config", headers=host)
    css = client.get("/api/tenant/theme.css", headers=host)
    unchanged = client.get(
        "/api/tenant/theme.css", headers={**host, "If-None-Match": css.headers["ETag"]}
    )
    client.patch(
        f"/api/tenant/tenants/{brand['id']}",
        json={"theme": {"primary": "#FF0000", "radius_px": 2}},
        headers=bearer(ops),
    )
    changed = client.get(
        "/api/tenant/theme.css", headers={**host, "If-None-Match": css.headers["ETag"]}
    )

    assert config.get_json()["currency"] == "GBP" and "ETag" in config.headers
    assert css.mimetype == "text/css"
    assert "--tc-color-primary: #0B5FFF;" in css.get_data(as_text=True)
    assert "max-age=300" in css.headers["Cache-Control"]
    assert unchanged.status_code == 304
    assert changed.status_code == 200, changed.get_json()
    assert "--tc-color-primary: #FF0000;" in changed.get_data(as_text=True)


def test_usage_is_counted_per_brand_per_day_for_operators(platform):
    app, _, ops = platform
    brand = create_active_brand(app, ops, "meter")
    client = app.test_client()
    for _ in range(7):
        client.get("/api/tenant/config", headers={"Host": "meter.localhost"})
    for n in range(2):
        placed = SimpleNamespace(
            type="order.placed", tenant_id=brand["id"], payload={"order_id": n}
        )
        with app.app_context():
            events.on_order_placed(placed, db.session)
            db.session.commit()
    today = datetime.now(UTC).date().isoformat()

    usage = client.get(
        f"/api/tenant/tenants/{brand['id']}/usage?since={today}&until={today}",
        headers=bearer(ops),
    ).get_json()

    print(f"\nusage of meter today: {usage}")
    assert usage == [
        {"day": today, "orders": 2, "active_baskets": 0, "api_requests": 7}
    ]
