"""Layer 1 on a real PostgreSQL: the schema follows the tenant, never the connection."""

import pytest
from sqlalchemy import select, text

from shared.tenancy import TenantRequired, tenant_scope
from shared.tenancy.context import schema_for
from tests.tenancy.catalog_models import Offering, db
from tests.tenancy.harness import ALPHA, BETA, build_app


def test_a_thousand_requests_on_one_pooled_connection_never_cross_brands(postgres_url):
    app = build_app(postgres_url, pool_size=1, max_overflow=0)
    client = app.test_client()
    wrong = 0

    for n in range(1000):
        tenant = (ALPHA, BETA)[n % 2]
        host = f"{tenant.slug}.localhost"
        created = client.post(
            "/api/catalog/items",
            json={"code": f"{tenant.slug}-{n}"},
            headers={"Host": host},
        )
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["skus"] == [f"{tenant.slug}-{n}-sku"]

        listed = client.get("/api/catalog/items", headers={"Host": host}).get_json()
        wrong += sum(not code.startswith(tenant.slug) for code in listed["codes"])
        wrong += sum(not sku.startswith(tenant.slug) for sku in listed["skus"])
        assert listed["tenant_ids"] == [tenant.id]

    with app.app_context():
        assert db.engine.pool.size() == 1
        with db.engine.connect() as connection:
            per_schema = {
                t.slug: connection.execute(
                    text(
                        f"SELECT count(*), count(*) FILTER (WHERE tenant_id <> :tid) "
                        f'FROM "{t.schema}".offerings'
                    ),
                    {"tid": t.id},
                ).one()
                for t in (ALPHA, BETA)
            }
    print(f"\ncross-tenant reads: {wrong} of 2000 reads; rows per schema {per_schema}")
    assert wrong == 0
    assert per_schema == {"alpha": (500, 0), "beta": (500, 0)}


def test_rows_land_in_the_tenants_own_schema_and_nowhere_else(postgres_url):
    app = build_app(postgres_url)
    with app.app_context():
        with tenant_scope(ALPHA):
            db.session.add(Offering(code="only-alpha"))
            db.session.commit()
        db.session.remove()
        with db.engine.connect() as connection:
            alpha = connection.execute(
                text('SELECT code FROM "t_alpha".offerings')
            ).all()
            beta = connection.execute(text('SELECT code FROM "t_beta".offerings')).all()
    assert [r.code for r in alpha] == ["only-alpha"]
    assert beta == []


def test_no_tenant_table_exists_in_the_default_schema(postgres_url):
    app = build_app(postgres_url)
    with app.app_context(), db.engine.connect() as connection:
        public = set(
            connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema='public'"
                )
            ).scalars()
        )
    assert "offerings" not in public and "variants" not in public
    assert {"tenant_registry", "idempotency_keys"} <= public


def test_a_routing_miss_fails_loudly_instead_of_reading_shared_rows(postgres_url):
    app = build_app(postgres_url)
    with app.app_context():
        with pytest.raises(TenantRequired):
            db.session.scalars(select(Offering)).all()
        db.session.remove()
        # Even a Core statement that slipped past the ORM guard finds no table.
        with db.engine.connect() as connection, pytest.raises(Exception) as caught:
            connection.execute(select(Offering.__table__))
    assert "tenant" in str(caught.value)


def test_unknown_and_suspended_hosts_are_refused_before_any_query(postgres_url):
    app = build_app(postgres_url)
    client = app.test_client()
    unknown = client.get("/api/catalog/items", headers={"Host": "nobody.localhost"})
    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"
    assert unknown.get_json()["type"].endswith("/unknown-tenant")

    from shared.http.app import runtime

    with app.app_context():
        with runtime(app).engine.begin() as connection:
            runtime(app).registry.upsert(
                connection, tenant_id=BETA.id, slug="beta", status="suspended"
            )
    suspended = client.get("/api/catalog/items", headers={"Host": "beta.localhost"})
    assert suspended.status_code == 403
    assert suspended.get_json()["type"].endswith("/tenant-suspended")


def test_schema_names_are_derived_from_valid_slugs_only():
    assert schema_for("north-wind") == "t_north_wind"
    for bad in ("", "A", "x;drop", "-bad", "a" * 41):
        with pytest.raises(ValueError):
            schema_for(bad)
