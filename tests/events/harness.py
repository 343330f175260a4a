"""Service apps wired to the bus, over SQLite or PostgreSQL, for bus tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy import func, select

from shared.config import load_settings
from shared.db import routed_bind
from shared.db.migrate import migration_engine, upgrade_platform
from shared.events import EventHandlers, publish, use_handlers
from shared.http.app import create_service_app, runtime
from shared.tenancy import Tenant, tenant_scope
from tests.events.ledgers import DBS, LEDGERS

ALPHA = Tenant(id="00000000-0000-0000-0000-0000000000a1", slug="alpha")
BETA = Tenant(id="00000000-0000-0000-0000-0000000000b2", slug="beta")


class Poison:
    """Makes a handler fail for chosen event ids until cured."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.tries: dict[str, int] = {}

    def check(self, event_id: str) -> None:
        self.tries[event_id] = self.tries.get(event_id, 0) + 1
        if event_id in self.failing:
            raise RuntimeError(f"stock system rejected {event_id}")


def ledger_handlers(
    service: str, patterns: Iterable[str], poison: Poison | None = None
) -> EventHandlers:
    handlers = EventHandlers(service)
    ledger = LEDGERS[service]

    def record(envelope, session) -> None:
        if poison is not None:
            poison.check(envelope.id)
        session.add(ledger(event_id=envelope.id, event_type=envelope.type))

    for pattern in patterns:
        handlers.on(pattern)(record)
    return handlers


def settings_for(urls: dict[str, str], broker_url: str = "memory://", **extra):
    return dataclasses.replace(
        load_settings(),
        database_urls=urls,
        broker_url=broker_url,
        event_max_attempts=extra.pop("event_max_attempts", 3),
        event_retry_delays_ms=extra.pop("event_retry_delays_ms", (100, 200)),
        event_relay_lease_s=extra.pop("event_relay_lease_s", 30.0),
        broker_heartbeat_s=extra.pop("broker_heartbeat_s", 4),
        broker_timeout_s=extra.pop("broker_timeout_s", 3.0),
        **extra,
    )


def build_service(
    service: str,
    settings,
    handlers: EventHandlers | None = None,
    tenants: Iterable[Tenant] = (ALPHA, BETA),
) -> Flask:
    """A service app with the ledger table, its tenants registered."""
    db = DBS[service]
    app = create_service_app(service, db=db, blueprints=[], settings=settings)
    # Only the built-in tenant handlers plus these: the real services' own
    # handlers have their own tests.
    use_handlers(app, handlers or EventHandlers(service))

    url = settings.database_url(service)
    engine = migration_engine(url)
    upgrade_platform(engine, service)
    with engine.begin() as connection:
        for tenant in tenants:
            runtime(app).registry.upsert(
                connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
            )
    engine.dispose()
    for tenant in tenants:
        add_ledger_table(app, tenant)
    return app


def add_ledger_table(app: Flask, tenant: Tenant) -> None:
    rt = runtime(app)
    with app.app_context():
        engine = rt.db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    f'CREATE SCHEMA IF NOT EXISTS "{tenant.schema}"'
                )
            rt.db.metadata.create_all(routed_bind(engine, tenant.schema))
        else:
            rt.db.metadata.create_all(routed_bind(engine, None))


def place_orders(
    app: Flask, tenant: Tenant, count: int, *, commit: bool = True, per_tx: int = 1
) -> list[str]:
    """Publish ``order.placed`` events through the order app's outbox."""
    db = runtime(app).db
    ids: list[str] = []
    with app.app_context(), tenant_scope(tenant):
        for start in range(0, count, per_tx):
            for n in range(start, min(start + per_tx, count)):
                envelope = publish(
                    db.session, "order.placed", {"order_id": n, "total_minor": 1999}
                )
                ids.append(envelope.id)
            if commit:
                db.session.commit()
            else:
                db.session.rollback()
        db.session.remove()
    return ids


def ledger_counts(app: Flask, tenants: Iterable[Tenant] = (ALPHA, BETA)):
    """(applications, distinct events) recorded in a service's ledger."""
    rt = runtime(app)
    ledger = LEDGERS[rt.service]
    rows, distinct = 0, 0
    for tenant in tenants:
        with app.app_context(), tenant_scope(tenant):
            rows += rt.db.session.scalar(select(func.count(ledger.id)))
            distinct += rt.db.session.scalar(
                select(func.count(func.distinct(ledger.event_id)))
            )
            rt.db.session.remove()
    return rows, distinct


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s=0.1) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
