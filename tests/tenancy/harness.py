"""A service app over the test models, with two brands registered."""

from __future__ import annotations

import dataclasses

from flask import Flask, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shared.config import load_settings
from shared.db import routed_bind
from shared.db.migrate import migration_engine, upgrade_platform
from shared.http.app import create_service_app, runtime
from shared.tenancy import Tenant, tenant_scope
from tests.tenancy.catalog_models import Offering, Variant, db

ALPHA = Tenant(id="00000000-0000-0000-0000-00000000000a", slug="alpha")
BETA = Tenant(id="00000000-0000-0000-0000-00000000000b", slug="beta")

items = Blueprint("items", __name__)


@items.route("/items", methods=["POST"])
def add_item():
    code = request.get_json()["code"]
    offering = Offering(code=code, price=100)
    offering.variants.append(Variant(sku=f"{code}-sku", stock=1))
    db.session.add(offering)
    db.session.commit()

    # After the commit: refresh and a lazy load must still read this brand.
    db.session.refresh(offering)
    db.session.expire(offering)
    skus = [v.sku for v in offering.variants]
    return jsonify(id=offering.id, skus=skus), 201


@items.route("/items", methods=["GET"])
def list_items():
    offerings = db.session.scalars(
        select(Offering)
        .options(selectinload(Offering.variants))
        .order_by(Offering.id.desc())
        .limit(50)
    ).all()
    return jsonify(
        codes=[o.code for o in offerings],
        tenant_ids=sorted({o.tenant_id for o in offerings}),
        skus=[v.sku for o in offerings for v in o.variants],
    )


def build_app(url: str, pool_size: int = 5, max_overflow: int = 5) -> Flask:
    settings = dataclasses.replace(
        load_settings(),
        database_urls={"catalog": url},
        db_pool_size=pool_size,
        db_max_overflow=max_overflow,
    )
    app = create_service_app("catalog", db=db, blueprints=[items], settings=settings)
    create_tables(app, url)
    return app


def create_tables(app: Flask, url: str) -> None:
    engine = migration_engine(url)
    upgrade_platform(engine, "catalog")
    is_pg = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        for tenant in (ALPHA, BETA):
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
            if is_pg:
                connection.exec_driver_sql(
                    f'CREATE SCHEMA IF NOT EXISTS "{tenant.schema}"'
                )
    engine.dispose()

    with app.app_context():
        schemas = [t.schema for t in (ALPHA, BETA)] if is_pg else [None]
        for schema in schemas:
            db.metadata.create_all(routed_bind(db.engine, schema))


def seed(app: Flask, tenant: Tenant, codes: list[str]) -> None:
    with app.app_context(), tenant_scope(tenant):
        for code in codes:
            offering = Offering(code=code, price=len(code) * 100)
            offering.variants.append(Variant(sku=f"{code}-1", stock=5))
            offering.variants.append(Variant(sku=f"{code}-2", stock=7))
            db.session.add(offering)
        db.session.commit()
        db.session.remove()
