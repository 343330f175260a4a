"""Catalog, order and payment as real Flask apps on their own databases,
wired by the real event bus (in-process or RabbitMQ), with the sandbox
payment gateway and the fulfilment stand-in as the outside world.

Nothing of our own is faked: commands and answers travel as outbox rows,
inbox rows and envelopes exactly as in production.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from services.catalog import service as catalog_service
from services.catalog.app import create_app as create_catalog_app
from services.catalog.models import db as catalog_db
from services.order import service as order_service
from services.order.app import create_app as create_order_app
from services.order.models import Order, OrderSaga
from services.order.models import db as order_db
from services.payment.app import create_app as create_payment_app
from services.payment.models import Payment
from services.payment.models import db as payment_db
from shared.auth import install_token_verifier
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.events.tables import outbox
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.catalog.harness import catalog_sections, load_pack
from tests.catalog.test_stock_reservations import stock
from tests.order.harness import SIGNING_JWK
from tests.payment.harness import configure_brand as configure_payments
from tests.support.fulfilment_standin import FulfilmentStandIn

NORTHWIND = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="northwind")
HOST = "northwind.localhost"
SECRET = "fulfilment-callback-secret-northwind"
SERVICES = ("catalog", "order", "payment")

logging.getLogger("werkzeug").setLevel(logging.WARNING)


def build_service(service: str, url: str, **overrides: Any) -> Flask:
    """One service's app over ``url``, migrated, with Northwind registered."""
    base = load_settings()
    settings = dataclasses.replace(
        base,
        database_urls={**base.database_urls, service: url},
        redis_url=None,
        http_timeout_s=2.0,
        **overrides,
    )
    factory = {
        "catalog": create_catalog_app,
        "order": create_order_app,
        "payment": create_payment_app,
    }[service]
    app = factory(settings)
    if service == "order":
        install_token_verifier(app, source=lambda: {"keys": [SIGNING_JWK]})

    engine = migration_engine(url)
    try:
        upgrade_platform(engine, service)
        upgrade_tenant(engine, service, NORTHWIND.slug)
        with engine.begin() as connection:
            runtime(app).registry.upsert(
                connection,
                tenant_id=NORTHWIND.id,
                slug=NORTHWIND.slug,
                status="active",
                domains=[],
            )
    finally:
        engine.dispose()
    return app


class Platform:
    """The three apps, the order app behind a real HTTP server (fulfilment
    callbacks reach it over HTTP), the sandbox gateway and fulfilment."""

    def __init__(self, urls: dict[str, str], **overrides: Any) -> None:
        self.apps = {s: build_service(s, urls[s], **overrides) for s in SERVICES}
        self.catalog, self.order, self.payment = (self.apps[s] for s in SERVICES)
        self.client = self.order.test_client()
        self.server = make_server("127.0.0.1", 0, self.order, threaded=True)
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.standin = FulfilmentStandIn(
            SECRET, callback_address=("127.0.0.1", self.server.server_port)
        )

    def __enter__(self) -> Platform:
        self._thread.start()
        self.standin.__enter__()
        self.import_catalog()
        self.accounts = configure_payments(self.payment, NORTHWIND, None)
        with self.order.app_context(), tenant_scope(NORTHWIND):
            order_service.configure_brand(
                number_prefix="NW",
                fulfilment_base_url=self.standin.url,
                callback_url=f"http://{HOST}/api/order/fulfilment/callbacks",
                callback_secret=SECRET,
            )
            order_db.session.remove()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.standin.__exit__()
        self.server.shutdown()
        for app in self.apps.values():
            with app.app_context():
                runtime(app).db.engine.dispose()

    # Setting up

    def import_catalog(self) -> None:
        cache = runtime(self.catalog).extras["catalog_cache"]
        with self.catalog.app_context(), tenant_scope(NORTHWIND):
            catalog_service.import_catalog(
                cache, **catalog_sections(load_pack("northwind"))
            )
            catalog_db.session.remove()

    def set_stock(self, sku: str, on_hand: int) -> None:
        with self.catalog.app_context(), tenant_scope(NORTHWIND):
            now = self.stock(sku)
            catalog_service.adjust_stock(sku, on_hand - now, "journey test")
            catalog_db.session.remove()

    # Acting

    def place(self, payload: dict[str, Any]) -> str:
        answer = self.client.post(
            "/api/order/orders",
            json=payload,
            headers={"Host": HOST, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    def fulfil(self, drain, rounds: int = 40) -> int:
        """Alternate the bus and the fulfilment callbacks until both are idle.

        One callback per line at a time, the bus drained in between, as a
        fulfilment system reports over hours: dispatch, then activation.
        """
        for done in range(rounds):
            drain()
            if not self.standin.send_callbacks(limit=1):
                return done
        raise AssertionError("fulfilment did not settle")

    # Looking

    def stock(self, sku: str) -> int:
        return stock(self.catalog, sku, NORTHWIND)[0]

    def order_state(self, order_id: str) -> dict[str, Any]:
        with self.order.app_context(), tenant_scope(NORTHWIND):
            order = order_db.session.get(Order, order_id)
            saga = order_db.session.get(OrderSaga, order_id)
            state = {
                "number": order.number,
                "status": order.status,
                "saga": saga.status,
                "payment": saga.payment,
                "reason": order.customer_reason,
                "outstanding": sorted(saga.outstanding),
            }
            order_db.session.remove()
        return state

    def payments(self, order_id: str) -> list[str]:
        with self.payment.app_context(), tenant_scope(NORTHWIND):
            statuses = payment_db.session.scalars(
                select(Payment.status).where(Payment.order_id == order_id)
            ).all()
            payment_db.session.remove()
        return list(statuses)

    def sandbox(self, order_id: str) -> dict[str, int]:
        """What the payment provider itself saw for the order."""
        gateway = self.accounts.gateway
        refs = {r for r, c in gateway.charges.items() if c.order_id == order_id}
        moves = [kind for kind, ref, _ in gateway.movements if ref in refs]
        return {
            "authorisations": len(refs),
            "captures": moves.count("capture"),
            "voids": moves.count("void"),
            "open": sum(
                1
                for r in refs
                if not gateway.charges[r].voided and not gateway.charges[r].captured
            ),
        }

    def events(self, order_id: str) -> list[str]:
        """Every event about the order, from every service's outbox, in time order."""
        found = []
        for app in self.apps.values():
            with app.app_context(), runtime(app).engine.connect() as connection:
                for row in connection.execute(select(outbox.c.envelope)).scalars():
                    envelope = json.loads(row) if isinstance(row, str) else row
                    if envelope["payload"].get("order_id") == order_id:
                        found.append((envelope["occurred_at"], envelope["type"]))
        return [kind for _, kind in sorted(found)]
