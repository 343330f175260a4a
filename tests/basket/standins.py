"""Real HTTP servers standing in for the catalog and order services.

They speak the paths and shapes documented in ``catalog_client`` and
``order_client``, answered from a brand pack and from memory, and can be made
to fail; ``real_peers`` serves the real catalog and order apps instead.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server

from services.basket.catalog_client import PackCatalogClient


def catalog_standin(pack: dict) -> Flask:
    app = Flask("catalog-standin")
    source = PackCatalogClient(pack)
    app.config["failing"] = False
    app.config["calls"] = 0

    @app.before_request
    def count_and_fail():
        app.config["calls"] += 1
        if app.config["failing"]:
            abort(503)

    @app.get("/api/catalog/products/<code>")
    def product(code):
        raw = next((p for p in pack["products"] if p["code"] == code), None)
        if raw is None:
            abort(404)
        currency = pack["tenant"]["currency"]
        return jsonify(
            code=code,
            type=raw["type"],
            name=raw["name"],
            attributes=raw.get("attributes") or {},
            lifecycle=raw.get("lifecycle", "active"),
            currency=currency,
            requires=raw.get("requires"),
            prices=raw.get("prices") or [],
            variants=[
                {
                    "sku": v["sku"],
                    "attributes": v.get("attributes") or {},
                    "in_stock": v.get("stock", 0) > 0,
                    "preorder": bool(v.get("preorder")),
                    "expected_on": v.get("expected_on"),
                    "prices": v["prices"],
                }
                for v in raw.get("variants") or []
            ],
        )

    @app.post("/api/catalog/compatibility")
    def compatibility():
        broken = source.check_compatibility(request.get_json()["bundles"])
        return jsonify(
            compatible=not broken,
            broken_rules=[
                {"rule": b.rule_id, "message": b.message, "bundle": b.bundle_id}
                for b in broken
            ],
        )

    @app.get("/api/catalog/campaigns")
    def campaigns():
        from datetime import datetime

        at = datetime.fromisoformat(request.args["at"])
        running = {c.code for c in source.campaigns(request.args["channel"], at)}
        return jsonify(items=[c for c in pack["campaigns"] if c["code"] in running])

    @app.get("/api/catalog/products/<code>/serviceability")
    def serviceability(code):
        postcode = request.args["postcode"]
        return jsonify(available=source.serviceable(code, postcode))

    return app


def order_standin() -> Flask:
    app = Flask("order-standin")
    app.config["orders"] = {}

    @app.post("/api/order/orders")
    def place():
        key = request.headers["Idempotency-Key"]
        orders = app.config["orders"]
        if key not in orders:
            orders[key] = {
                "reference": "ORD-" + uuid.uuid4().hex[:8].upper(),
                "status": "placed",
                "host": request.host,
                "body": request.get_json(),
            }
            return jsonify(orders[key]), 201
        return jsonify(orders[key]), 200

    return app


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
