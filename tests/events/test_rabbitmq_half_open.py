"""A half-open link (no traffic, no reset) is noticed by heartbeat and timeout."""

from __future__ import annotations

import time

import pytest

from shared.events.worker import EventWorker
from tests.events.broker import FreezingProxy
from tests.events.harness import (
    ALPHA,
    build_service,
    ledger_counts,
    ledger_handlers,
    place_orders,
    settings_for,
    wait_until,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def test_relay_and_consumer_recover_from_a_silently_dead_link(
    rabbitmq_url, topology, postgres_urls
):
    proxy = FreezingProxy(rabbitmq_url)
    urls = postgres_urls("order", "catalog")
    settings = settings_for(
        urls,
        proxy.url,
        events_exchange=topology.exchange,
        broker_heartbeat_s=2,
        broker_timeout_s=2.0,
    )
    order = build_service("order", settings)
    catalog = build_service(
        "catalog", settings, ledger_handlers("catalog", ["order.placed"])
    )
    workers = [EventWorker(app, topology=topology) for app in (catalog, order)]
    try:
        workers[0].consumer.declare()
        for worker in workers:
            worker.start()
        place_orders(order, ALPHA, 1)
        assert wait_until(lambda: ledger_counts(catalog)[1] == 1, 15)

        frozen = proxy.freeze()
        started = time.monotonic()
        place_orders(order, ALPHA, 3)
        recovered = wait_until(lambda: ledger_counts(catalog)[1] == 4, 40)
        took = time.monotonic() - started
    finally:
        for worker in workers:
            worker.stop()
        proxy.close()

    print(
        f"{frozen} links frozen; delivered again after {took:.1f}s "
        f"(consumer reconnects {workers[0].consumer.stats.reconnects}, "
        f"relay pauses {workers[1].relay.pauses})"
    )
    assert recovered
    assert ledger_counts(catalog) == (4, 4)
    assert workers[0].consumer.stats.reconnects >= 1
