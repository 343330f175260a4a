"""The whole saga over the event bus: six services, each on its own PostgreSQL.

``tenant.created`` goes through the tenant service's outbox to the five other
services, which create the brand's schema and answer ``tenant_ready``; the
brand turns active and every registry learns it. Run over the in-process bus
and over RabbitMQ (one worker per service). Needs ``shared.events`` (the
event-bus branch); skipped until that is merged.
"""

import dataclasses
import time
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from services.platform import create_service
from services.tenant.audit import Actor
from services.tenant.models import Brand
from services.tenant.onboarding import onboard_pack, wait_until_active
from shared import SERVICES
from shared.config import load_settings
from shared.db.migrate import migration_engine, upgrade_platform
from shared.db.platform import tenant_registry
from tests.support.services import (
    RABBITMQ_URL,
    fresh_postgres_database,
    missing,
    reachable,
    services_required,
)
from tests.tenant.packs import pack_paths

events = pytest.importorskip("shared.events", reason="the event bus is not merged")
pytestmark = pytest.mark.postgres


@pytest.fixture
def six_databases():
    made = {service: fresh_postgres_database() for service in SERVICES}
    yield {service: url for service, (url, _) in made.items()}
    for _, drop in made.values():
        drop()


def pack_receivers(service: str, received: list):
    """Stand-ins for the catalog's and channel's pack import (their issues)."""
    handlers = events.EventHandlers(service)

    @handlers.on("tenant.pack_imported")
    def receive(envelope, session):
        if envelope.payload["service"] == service:
            received.append((service, envelope.tenant_id, envelope.payload["digest"]))

    return handlers


class InProcessTransport:
    def __init__(self, apps):
        self.bus = events.InProcessBus(apps)

    def settle(self, app, tenant_id):
        self.bus.drain()

    def close(self):
        pass


class RabbitTransport:
    """One EventWorker (outbox relay + consumer) per service, on a fresh exchange."""

    def __init__(self, apps, topology):
        from shared.events.worker import EventWorker

        self.topology = topology
        self.workers = [EventWorker(app, topology=topology) for app in apps.values()]
        for worker in self.workers:
            worker.consumer.declare()
        for worker in self.workers:
            worker.start()

    def settle(self, app, tenant_id):
        wait_until_active(app, tenant_id, timeout_s=30)

    def close(self):
        for worker in self.workers:
            worker.stop()
        from tests.events.broker import delete_topology

        delete_topology(RABBITMQ_URL, self.topology)


def test_three_brands_onboard_over_the_bus_and_become_active_everywhere(
    six_databases,
):
    """Over RabbitMQ; where no broker runs (and CI does not demand one), over
    the in-process transport of the embedded default."""
    assert len(pack_paths()) == 3
    overrides = {}
    transport = "rabbitmq" if reachable(RABBITMQ_URL, 5672) else "in-process"
    if transport == "in-process" and services_required():
        missing("RabbitMQ", RABBITMQ_URL)
    if transport == "rabbitmq":
        from shared.events.amqp import Topology

        topology = Topology.for_exchange(f"tc{uuid.uuid4().hex[:10]}.events")
        overrides = {"broker_url": RABBITMQ_URL, "events_exchange": topology.exchange}
    settings = dataclasses.replace(
        load_settings(), database_urls=six_databases, **overrides
    )
    for service, url in six_databases.items():
        engine = migration_engine(url)
        upgrade_platform(engine, service)
        engine.dispose()
    apps = {service: create_service(service, settings) for service in SERVICES}
    received: list = []
    for owner in ("catalog", "channel"):
        events.use_handlers(apps[owner], pack_receivers(owner, received))
    bus = (
        RabbitTransport(apps, topology)
        if transport == "rabbitmq"
        else InProcessTransport(apps)
    )
    operator = Actor("cli:test", ("platform_admin",))

    timings, tenant_ids = {}, {}
    try:
        for path in pack_paths():
            started = time.perf_counter()
            report = onboard_pack(apps["tenant"], path, operator)
            bus.settle(apps["tenant"], report.tenant_id)
            timings[report.slug] = time.perf_counter() - started
            tenant_ids[report.slug] = report.tenant_id
        if transport == "rabbitmq":
            time.sleep(1.0)  # let the last tenant.updated reach every registry
    finally:
        bus.close()

    for slug, seconds in timings.items():
        print(f"\nonboarded {slug} over {transport}: active in {seconds:.2f}s")
    with apps["tenant"].app_context():
        db = apps["tenant"].extensions["telecart"].db
        statuses = dict(db.session.execute(select(Brand.slug, Brand.status)).all())
    assert statuses == {"harbor": "active", "northwind": "active", "volt": "active"}
    for service, url in six_databases.items():
        engine = create_engine(url)
        with engine.connect() as connection:
            known = dict(
                connection.execute(
                    select(tenant_registry.c.slug, tenant_registry.c.status)
                ).all()
            )
            schemas = set(
                connection.execute(
                    text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't_%'")
                ).scalars()
            )
        engine.dispose()
        assert known == statuses, service
        assert {"t_harbor", "t_northwind", "t_volt"} <= schemas, service
    assert sorted({(s, t) for s, t, _ in received}) == sorted(
        (owner, tid) for owner in ("catalog", "channel") for tid in tenant_ids.values()
    )
