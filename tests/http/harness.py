"""A tiny service over SQLite that exercises the shared HTTP edge."""

from __future__ import annotations

import dataclasses

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform
from shared.http.app import create_service_app, runtime
from shared.http.idempotency import idempotent
from shared.http.problems import Conflict
from shared.tenancy import Tenant
from tests.tenancy.catalog_models import db

NORTHWIND = Tenant(id="11111111-1111-1111-1111-111111111111", slug="northwind")
VOLT = Tenant(id="22222222-2222-2222-2222-222222222222", slug="volt")

blp = Blueprint("lines", __name__)
calls = {"orders": 0}


class LineSchema(ma.Schema):
    msisdn = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^\+?\d{8,15}$")
    )
    quantity = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=1, max=10)
    )


class OutOfNumbers(Conflict):
    slug, title = "out-of-numbers", "No numbers left in this range"


@blp.route("/lines")
class Lines(MethodView):
    @blp.arguments(LineSchema)
    @blp.response(201, LineSchema)
    def post(self, line):
        return line


@blp.route("/orders", methods=["POST"])
@idempotent("orders.create")
def create_order():
    calls["orders"] += 1
    return {"order": calls["orders"]}, 201


@blp.route("/numbers", methods=["GET"])
def numbers():
    raise OutOfNumbers("the 07700 range is used up")


@blp.route("/crash", methods=["GET"])
def crash():
    raise RuntimeError("password=hunter2 in SELECT * FROM secrets")


def build(tmp_path, **overrides):
    url = f"sqlite:///{tmp_path}/http.db"
    settings = dataclasses.replace(
        load_settings(), database_urls={"order": url}, **overrides
    )
    app = create_service_app("order", db=db, blueprints=[blp], settings=settings)
    engine = migration_engine(url)
    upgrade_platform(engine, "order")
    with engine.begin() as connection:
        for tenant in (NORTHWIND, VOLT):
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
    engine.dispose()
    return app
