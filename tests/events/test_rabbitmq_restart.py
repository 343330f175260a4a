"""A broker restart delays events and never loses or doubles them.

These tests stop the shared broker (``rabbitmqctl stop_app``) and always start
it again, pass or fail, before the next test runs.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from shared.events.worker import EventWorker
from tests.events.broker import broker_stopped, queue_depth, queue_is_durable
from tests.events.harness import (
    ALPHA,
    BETA,
    build_service,
    ledger_counts,
    ledger_handlers,
    place_orders,
    settings_for,
    wait_until,
)
from tests.events.test_rabbitmq_delivery import sent_count

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


@pytest.fixture
def pipeline(rabbitmq_url, topology, postgres_urls):
    """order publishes order.placed, catalog applies it; both workers running."""
    urls = postgres_urls("order", "catalog")
    settings = settings_for(urls, rabbitmq_url, events_exchange=topology.exchange)
    order = build_service("order", settings)
    catalog = build_service(
        "catalog", settings, ledger_handlers("catalog", ["order.placed"])
    )
    workers = [EventWorker(app, topology=topology) for app in (catalog, order)]
    for worker in workers:
        worker.consumer.declare()
        worker.start()
    yield order, catalog, workers
    for worker in workers:
        worker.stop()


def produce(order, total: int, chunk: int, pause_s: float) -> threading.Thread:
    def run() -> None:
        for start in range(0, total, chunk):
            tenant = (ALPHA, BETA)[(start // chunk) % 2]
            place_orders(order, tenant, min(chunk, total - start), per_tx=chunk)
            time.sleep(pause_s)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_through_restarts(
    rabbitmq_url, topology, pipeline, total: int, restarts: int
) -> tuple[int, int, int, int]:
    order, catalog, workers = pipeline
    began = time.monotonic()
    patience = max(60.0, total / 10)  # seconds; the soak runs far longer
    producer = produce(order, total, chunk=10, pause_s=0.05)

    # Restart while the producer is still committing and the relay sending.
    for n in range(1, restarts + 1):
        threshold = total * n // (restarts + 5)
        assert wait_until(lambda t=threshold: ledger_counts(catalog)[1] >= t, patience)
        with broker_stopped(rabbitmq_url):
            in_flight = ledger_counts(catalog)[1] < total
            assert in_flight, "every event was delivered before the outage"
            assert producer.is_alive() or n > 1, "the producer finished too early"
            time.sleep(1.0)
    producer.join(2 * patience)

    wait_until(lambda: ledger_counts(catalog)[1] >= total, 2 * patience, step_s=0.5)
    took = time.monotonic() - began
    print(f"{total} events through {restarts} restart(s) in {took:.0f}s")
    time.sleep(1.0)  # a late redelivery would show up now
    rows, delivered = ledger_counts(catalog)
    published = sent_count(order)[1]
    return published, delivered, total - delivered, rows - delivered


def test_a_broker_restart_while_sending_1000_events_loses_and_doubles_nothing(
    rabbitmq_url, topology, pipeline
):
    catalog_worker, order_worker = pipeline[2]

    published, delivered, lost, twice = run_through_restarts(
        rabbitmq_url, topology, pipeline, total=1000, restarts=1
    )

    print(
        f"published {published}, delivered {delivered}, lost {lost}, "
        f"applied twice {twice} (consumer reconnects "
        f"{catalog_worker.consumer.stats.reconnects}, relay pauses "
        f"{order_worker.relay.pauses})"
    )
    assert (published, delivered, lost, twice) == (1000, 1000, 0, 0)
    assert catalog_worker.consumer.stats.reconnects >= 1
    assert order_worker.relay.pauses >= 1
    assert queue_is_durable(rabbitmq_url, topology.queue("catalog"))
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 0


def test_events_committed_while_the_broker_is_down_go_out_when_it_is_back(
    rabbitmq_url, pipeline
):
    order, catalog, workers = pipeline

    with broker_stopped(rabbitmq_url):
        place_orders(order, ALPHA, 5)
        time.sleep(1.0)
        during = sent_count(order)

    assert wait_until(lambda: ledger_counts(catalog)[1] == 5, 60)
    print(
        f"during the outage: {during[0]} committed, {during[1]} sent; after: 5 applied"
    )
    assert during == (5, 0)
    assert sent_count(order) == (5, 5)
    assert ledger_counts(catalog) == (5, 5)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(os.environ.get("TELECART_SOAK") != "1", reason="TELECART_SOAK=1")
def test_soak_three_restarts_while_sending_10000_events(
    rabbitmq_url, topology, pipeline
):
    published, delivered, lost, twice = run_through_restarts(
        rabbitmq_url, topology, pipeline, total=10_000, restarts=3
    )

    print(
        f"published {published}, delivered {delivered}, lost {lost}, "
        f"applied twice {twice}"
    )
    assert (published, delivered, lost, twice) == (10_000, 10_000, 0, 0)
