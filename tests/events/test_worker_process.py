"""``telecart worker <service>`` as a real process: consume, measure, stop on TERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, select

from shared.db.migrate import migration_engine, upgrade_platform
from shared.db.platform import tenant_registry
from shared.events import publish
from shared.events.tables import outbox
from shared.events.worker import EventWorker
from shared.http.app import runtime
from shared.tenancy import Tenant, tenant_scope
from tests.events.harness import build_service, settings_for, wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

DELTA = Tenant(id="00000000-0000-0000-0000-0000000000d4", slug="delta")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def consumed(port: int) -> float:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/", timeout=2).text
    except requests.RequestException:
        return -1.0
    for line in text.splitlines():
        if line.startswith("telecart_events_consumed_total{") and (
            'event_type="tenant.created"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_worker_process_provisions_a_new_tenant_and_stops_on_sigterm(
    rabbitmq_url, topology, postgres_urls
):
    urls = postgres_urls("tenant", "catalog")
    engine = migration_engine(urls["catalog"])
    upgrade_platform(engine, "catalog")
    engine.dispose()
    settings = settings_for(urls, rabbitmq_url, events_exchange=topology.exchange)
    tenant_app = build_service("tenant", settings, tenants=[])
    metrics_port = free_port()
    env = {
        **os.environ,
        "BROKER_URL": rabbitmq_url,
        "EVENTS_EXCHANGE": topology.exchange,
        "CATALOG_DATABASE_URL": urls["catalog"],
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "worker",
            "catalog",
            "--metrics-port",
            str(metrics_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until(lambda: consumed(metrics_port) >= 0, 30), "no metrics"
        with tenant_app.app_context(), tenant_scope(DELTA):
            db = runtime(tenant_app).db
            publish(
                db.session,
                "tenant.created",
                {"id": DELTA.id, "slug": "delta", "status": "provisioning"},
            )
            db.session.commit()
        relay = EventWorker(tenant_app, topology=topology).relay
        assert wait_until(lambda: relay.relay_once().sent == 1, 30)
        assert wait_until(lambda: consumed(metrics_port) == 1.0, 30)

        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=20)
        stopped_in = time.monotonic() - started
    finally:
        if worker.poll() is None:
            worker.kill()
        output = worker.stdout.read()

    catalog = create_engine(urls["catalog"])
    with catalog.connect() as connection:
        registered = connection.execute(
            select(tenant_registry.c.slug, tenant_registry.c.status)
        ).all()
        answered = connection.execute(select(outbox.c.event_type)).scalars().all()
        schema = connection.exec_driver_sql(
            "SELECT 1 FROM pg_namespace WHERE nspname = 't_delta'"
        ).scalar()
    catalog.dispose()
    print(f"worker stopped {stopped_in:.1f}s after SIGTERM with exit code {code}")
    assert code == 0, output
    assert registered == [("delta", "provisioning")]
    assert answered == ["catalog.tenant_ready"]
    assert schema == 1
