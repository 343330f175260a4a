"""Events per second end to end: outbox -> relay -> RabbitMQ -> consumer + inbox.

Not a test. Fills the order service's outbox with N committed events, starts
the order relay and the catalog consumer, and times until the catalog's inbox
holds all N; once with publisher confirms, once without.

    .venv/bin/python bench/events_throughput.py --events 2000

Needs PostgreSQL and RabbitMQ (TEST_POSTGRES_URL, TEST_RABBITMQ_URL as for
the tests); creates and drops its own databases, exchange and queues.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, insert, select, text

from shared.config import load_settings
from shared.db import make_db
from shared.db.migrate import migration_engine, upgrade_platform
from shared.events import Envelope, EventHandlers, use_handlers
from shared.events.amqp import BrokerOptions, Topology
from shared.events.tables import inbox, outbox
from shared.events.worker import EventWorker
from shared.http.app import create_service_app, runtime
from shared.tenancy import Tenant

ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BROKER_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
BRAND = Tenant(id="00000000-0000-0000-0000-0000000000be", slug="bench")


def create_database(admin) -> str:
    name = f"telecart_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def service_app(service: str, url: str, settings):
    app = create_service_app(service, db=make_db(), blueprints=[], settings=settings)
    engine = migration_engine(url)
    upgrade_platform(engine, service)
    with engine.begin() as connection:
        runtime(app).registry.upsert(
            connection, tenant_id=BRAND.id, slug=BRAND.slug, status="active"
        )
    engine.dispose()
    return app


def fill_outbox(app, count: int) -> None:
    rows = []
    for n in range(count):
        envelope = Envelope.new("order.placed", {"order_id": n}, tenant_id=BRAND.id)
        rows.append(
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "tenant_id": envelope.tenant_id,
                "envelope": envelope.to_json(),
                "created_at": datetime.now(UTC),
                "attempts": 0,
            }
        )
    with runtime(app).engine.begin() as connection:
        connection.execute(insert(outbox), rows)


def unsent(app) -> int:
    with runtime(app).engine.connect() as connection:
        return connection.scalar(select(func.count()).where(outbox.c.sent_at.is_(None)))


def applied(app) -> int:
    with runtime(app).engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(inbox))


def run_once(count: int, confirms: bool, admin) -> tuple[float, float]:
    names = [create_database(admin) for _ in range(2)]
    base = ADMIN_URL.rsplit("/", 1)[0]
    urls = {"order": f"{base}/{names[0]}", "catalog": f"{base}/{names[1]}"}
    settings = dataclasses.replace(
        load_settings(), database_urls=urls, broker_url=BROKER_URL
    )
    topology = Topology.for_exchange(f"bench{uuid.uuid4().hex[:8]}.events")
    options = dataclasses.replace(
        BrokerOptions.from_settings(settings), confirms=confirms
    )
    order = service_app("order", urls["order"], settings)
    catalog = service_app("catalog", urls["catalog"], settings)
    handlers = EventHandlers("catalog")
    handlers.on("order.placed")(lambda envelope, session: None)
    use_handlers(catalog, handlers)

    workers = [
        EventWorker(app, topology=topology, options=options) for app in (catalog, order)
    ]
    try:
        workers[0].consumer.declare()
        fill_outbox(order, count)
        started = time.perf_counter()
        relayed_at = None
        for worker in workers:
            worker.start()
        while True:
            if relayed_at is None and unsent(order) == 0:
                relayed_at = time.perf_counter()
            if applied(catalog) >= count:
                break
            time.sleep(0.05)
        finished = time.perf_counter()
        return count / (relayed_at - started), count / (finished - started)
    finally:
        for worker in workers:
            worker.stop()
        for app in (order, catalog):
            runtime(app).engine.dispose()
        _delete_topology(topology, options)
        with admin.connect() as connection:
            for name in names:
                connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )


def _delete_topology(topology: Topology, options: BrokerOptions) -> None:
    from shared.events.amqp import connect

    connection = connect(BROKER_URL, options)
    try:
        channel = connection.channel()
        for suffix in ("catalog", "catalog.dlq", "order", "order.dlq"):
            channel.queue_delete(f"{topology.prefix}.{suffix}")
        for delay in load_settings().event_retry_delays_ms:
            for service in ("catalog", "order"):
                channel.queue_delete(topology.retry_queue(service, delay))
        channel.exchange_delete(topology.exchange)
    finally:
        connection.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    for confirms in (True, False):
        relayed, end_to_end = run_once(args.events, confirms, admin)
        label = "with confirms" if confirms else "without confirms"
        print(
            f"{args.events} events {label}: end to end {end_to_end:,.0f} events/s "
            f"(outbox relayed to the broker at {relayed:,.0f} events/s)"
        )
    admin.dispose()


if __name__ == "__main__":
    main()
