"""The order service over a real database, served over real HTTP, with its
neighbours faked (bus, catalog, payment) and the fulfilment stand-in."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from werkzeug.serving import make_server

from services.order import service
from services.order.app import create_app
from services.order.models import Notification, Order, OrderSaga, db
from services.order.timeline import timeline_of
from shared.auth import install_token_verifier
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.order.doubles import FakeBus, FakeCatalog, FakePayment
from tests.support.fulfilment_standin import FulfilmentStandIn

NORTHWIND = Tenant(id="11111111-1111-1111-1111-111111111111", slug="northwind")
HOST = "northwind.localhost"
SECRET = "fulfilment-callback-secret-northwind"

IPHONE = "DEV-IPHONE-16-128-BLACK"
FAIRPHONE = "DEV-FAIRPHONE-5-256-MATTE-BLACK"


logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per callback


def _signing_key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": "order-tests", "use": "sig", "alg": "RS256"})
    return private, public


SIGNING_KEY, SIGNING_JWK = _signing_key()


def token(subject: str, roles: list[str], tenant: Tenant = NORTHWIND) -> str:
    """An access token as the tenant service would issue it."""
    now = int(time.time())
    claims = {
        "iss": load_settings().jwt_issuer,
        "sub": subject,
        "aud": ["telecart:order"],
        "iat": now,
        "exp": now + 600,
        "tid": tenant.id,
        "roles": roles,
    }
    return jwt.encode(
        claims, SIGNING_KEY, algorithm="RS256", headers={"kid": "order-tests"}
    )


def customer(account: str) -> dict[str, str]:
    return {"Host": HOST, "Authorization": f"Bearer {token(account, ['customer'])}"}


def staff(account: str = "sam") -> dict[str, str]:
    return {"Host": HOST, "Authorization": f"Bearer {token(account, ['tenant_admin'])}"}


def build_app(url: str, migrate: bool = True):
    settings = dataclasses.replace(
        load_settings(), database_urls={"order": url}, http_timeout_s=0.5
    )
    app = create_app(settings)
    install_token_verifier(app, source=lambda: {"keys": [SIGNING_JWK]})
    if not migrate:  # a restarted process finds its schema in place
        return app
    engine = migration_engine(url)
    upgrade_platform(engine, "order")
    upgrade_tenant(engine, "order", NORTHWIND.slug)
    with engine.begin() as connection:
        runtime(app).registry.upsert(
            connection, tenant_id=NORTHWIND.id, slug=NORTHWIND.slug, status="active"
        )
    engine.dispose()
    return app


class Rig:
    """Everything a saga test drives: app, server, bus, catalog, payment."""

    def __init__(self, url: str, stock: dict[str, int] | None = None) -> None:
        self.url = url
        self.restarts = 0
        self.app = build_app(url)
        self.client = self.app.test_client()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.standin = FulfilmentStandIn(
            SECRET, callback_address=("127.0.0.1", self.server.server_port)
        )
        self.bus = FakeBus(self.app, NORTHWIND)
        self.catalog = FakeCatalog(self.bus, stock or {IPHONE: 5, FAIRPHONE: 1})
        self.payment = FakePayment(self.bus)

    def restart(self) -> None:
        """Kill the order service and start a fresh one over the same database.

        Nothing in memory survives: a new app, engine and HTTP server. The
        events still queued stay queued, as they would in the broker.
        """
        self.server.shutdown()
        with self.app.app_context():
            db.engine.dispose()
        self.app = build_app(self.url, migrate=False)
        self.client = self.app.test_client()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self.standin.callback_address = ("127.0.0.1", self.server.server_port)
        self.bus.app = self.app
        self.restarts += 1

    def __enter__(self) -> Rig:
        self._thread.start()
        self.standin.__enter__()
        self.bus.install()
        self.configure(
            number_prefix="NW",
            fulfilment_base_url=self.standin.url,
            callback_url=f"http://{HOST}/api/order/fulfilment/callbacks",
            callback_secret=SECRET,
            reserve_timeout_s=60,
            payment_timeout_s=60,
            compensation_timeout_s=30,
            compensation_max_attempts=3,
        )
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bus.uninstall()
        self.standin.__exit__()
        self.server.shutdown()
        with self.app.app_context():
            db.engine.dispose()

    # Driving

    def configure(self, **fields: Any) -> None:
        with self.scope():
            service.configure_brand(**fields)

    def scope(self):
        rig = self

        class _Scope:
            def __enter__(self):
                self.ctx = rig.app.app_context()
                self.ctx.push()
                self.tenant = tenant_scope(NORTHWIND)
                self.tenant.__enter__()
                return db.session

            def __exit__(self, *exc):
                db.session.remove()
                self.tenant.__exit__(*exc)
                self.ctx.pop()

        return _Scope()

    def place(self, payload: dict[str, Any], key: str | None = None):
        return self.client.post(
            "/api/order/orders",
            json=payload,
            headers={"Host": HOST, "Idempotency-Key": key or uuid.uuid4().hex},
        )

    def place_order(self, payload: dict[str, Any]) -> str:
        answer = self.place(payload)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    def settle(self, rounds: int = 10) -> None:
        """Pump events and fulfilment callbacks until nothing moves."""
        for _ in range(rounds):
            moved = self.bus.pump() + self.standin.send_callbacks()
            if not moved:
                return

    def tick(self, after_s: float = 0) -> service.TickReport:
        from services.order.timeline import now_utc

        with self.scope():
            return service.tick(now_utc() + timedelta(seconds=after_s))

    def state(self, order_id: str) -> dict[str, Any]:
        with self.scope() as session:
            order = session.get(Order, order_id)
            saga = session.get(OrderSaga, order_id)
            return {
                "status": order.status,
                "number": order.number,
                "saga": saga.status,
                "stock": saga.stock,
                "payment": saga.payment,
                "outstanding": sorted(saga.outstanding),
                "reason": order.customer_reason,
                "lines": [(ln.status, ln.kind) for ln in order.lines],
                "devices_shipped": sum(
                    1 for ln in order.lines if "device_shipped" in ln.milestones
                ),
                "timeline": [
                    (s.action, s.outcome) for s in timeline_of(session, order_id)
                ],
            }

    def notifications(self, order_id: str) -> list[tuple[str, str]]:
        with self.scope() as session:
            rows = session.scalars(
                select(Notification)
                .where(Notification.order_id == order_id)
                .order_by(Notification.id)
            )
            return [(n.kind, n.recipient) for n in rows]

    def order_events(self, order_id: str) -> list[str]:
        return [
            e.type for e in self.bus.published if e.payload.get("order_id") == order_id
        ]


# Orders


def account_of(email: str) -> str:
    return "acct-" + email.split("@")[0]


def address() -> dict[str, Any]:
    return {
        "line1": "1 Harbour Row",
        "city": "Cardiff",
        "postcode": "CF10 1AA",
        "country": "GB",
    }


def family_order(email: str = "ana@example.com") -> dict[str, Any]:
    """Northwind family order: two lines, one with an iPhone, one port-in."""
    port_date = (date.today() + timedelta(days=7)).isoformat()
    return {
        "basket_id": "bsk_" + uuid.uuid4().hex[:8],
        "channel": "web",
        "currency": "GBP",
        "customer": {
            "id": account_of(email),
            "name": "Ana Price",
            "email": email,
            "phone": "07700900001",
        },
        "delivery_address": address(),
        "payment_method": {"provider": "sandbox", "token": "tok_visa"},
        "lines": [
            {
                "kind": "mobile",
                "bundle": "iPhone 16 on Unlimited",
                "plan_code": "plan-unlimited",
                "plan_term_months": 24,
                "device_product_code": "device-iphone-16",
                "sku": IPHONE,
                "price_option": "instalment_24",
                "instalment_amount": 3330,
                "sim_type": "physical",
                "number": {"type": "new"},
                "due_today": 3000,
                "monthly": 6030,
            },
            {
                "kind": "mobile",
                "bundle": "Smart 30GB SIM only",
                "plan_code": "plan-smart-30",
                "plan_term_months": 12,
                "sim_type": "esim",
                "esim_email": "leo@example.com",
                "number": {
                    "type": "port_in",
                    "msisdn": "07700900123",
                    "pac_code": "PAC123456",
                    "port_date": port_date,
                },
                "addons": ["addon-eu-roam"],
                "due_today": 0,
                "monthly": 1800,
            },
        ],
        "totals": {"due_today": 3000, "monthly": 7830},
    }


def fairphone_order(email: str) -> dict[str, Any]:
    return {
        "channel": "retail",
        "currency": "GBP",
        "customer": {"id": account_of(email), "email": email},
        "delivery_address": address(),
        "payment_method": {"provider": "sandbox", "token": "tok_visa"},
        "lines": [
            {
                "kind": "mobile",
                "bundle": "Fairphone 5",
                "plan_code": "plan-smart-30",
                "plan_term_months": 24,
                "sku": FAIRPHONE,
                "price_option": "one_time",
                "sim_type": "physical",
                "number": {"type": "new"},
                "due_today": 64900,
                "monthly": 1300,
            }
        ],
        "totals": {"due_today": 64900, "monthly": 1300},
    }
