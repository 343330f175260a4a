"""Outbox to RabbitMQ to inbox, checked on the broker with pika."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from shared.events import EventProcessor
from shared.events.dead_letters import DeadLetterQueues
from shared.events.processing import Outcome
from shared.events.tables import inbox, outbox
from shared.events.worker import EventWorker
from shared.http.app import runtime
from tests.events.broker import (
    browse,
    pika_channel,
    publish_raw,
    queue_depth,
    queue_is_durable,
)
from tests.events.harness import (
    ALPHA,
    BETA,
    Poison,
    build_service,
    ledger_counts,
    ledger_handlers,
    place_orders,
    settings_for,
    wait_until,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


@pytest.fixture
def poison():
    return Poison()


@pytest.fixture
def services(rabbitmq_url, topology, postgres_urls, poison):
    """order publishes; catalog and tenant both consume order events."""
    urls = postgres_urls("order", "catalog", "tenant")
    settings = settings_for(
        urls, rabbitmq_url, events_exchange=topology.exchange, event_relay_lease_s=1.0
    )
    order = build_service("order", settings)
    catalog = build_service(
        "catalog", settings, ledger_handlers("catalog", ["order.placed"], poison)
    )
    tenant = build_service("tenant", settings, ledger_handlers("tenant", ["order.#"]))
    workers = []

    def start(*apps):
        for app in apps:
            worker = EventWorker(app, topology=topology)
            worker.consumer.declare()
            worker.start()
            workers.append(worker)
        return workers

    yield order, catalog, tenant, start
    for worker in workers:
        worker.stop()


def sent_count(app) -> tuple[int, int]:
    with runtime(app).engine.connect() as connection:
        total, sent = connection.execute(
            select(func.count(), func.count(outbox.c.sent_at))
        ).one()
    return total, sent


def test_the_broker_holds_durable_queues_bound_for_each_subscriber(
    services, rabbitmq_url, topology
):
    order, catalog, tenant, start = services
    for app in (catalog, tenant):
        EventWorker(app, topology=topology).consumer.declare()

    routed = publish_raw(rabbitmq_url, topology.exchange, "order.placed", b"{}")
    unrouted = publish_raw(rabbitmq_url, topology.exchange, "nobody.listens", b"{}")

    assert routed and not unrouted
    for service in ("catalog", "tenant"):
        assert queue_is_durable(rabbitmq_url, topology.queue(service))
        assert queue_is_durable(rabbitmq_url, topology.dead_letter_queue(service))
        assert queue_depth(rabbitmq_url, topology.queue(service)) == 1
    assert publish_raw(rabbitmq_url, topology.exchange, "order.refunded", b"{}")
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 1
    assert queue_depth(rabbitmq_url, topology.queue("tenant")) == 2


def test_two_services_subscribed_to_one_event_each_apply_it_once(services):
    order, catalog, tenant, start = services
    start(catalog, tenant, order)

    ids = place_orders(order, ALPHA, 20) + place_orders(order, BETA, 10)

    assert wait_until(lambda: ledger_counts(catalog)[1] == 30, 20)
    assert wait_until(lambda: ledger_counts(tenant)[1] == 30, 20)
    time.sleep(0.5)
    print(f"catalog {ledger_counts(catalog)}, tenant {ledger_counts(tenant)}")
    assert ledger_counts(catalog) == (30, 30)
    assert ledger_counts(tenant) == (30, 30)
    assert sent_count(order) == (30, 30)
    for app in (catalog, tenant):
        with runtime(app).engine.connect() as connection:
            recorded = set(connection.execute(select(inbox.c.event_id)).scalars())
        assert recorded == set(ids)


def test_a_rolled_back_publish_never_reaches_the_broker(
    services, rabbitmq_url, topology
):
    order, catalog, tenant, start = services
    EventWorker(catalog, topology=topology).consumer.declare()
    relay = EventWorker(order, topology=topology).relay

    place_orders(order, ALPHA, 5, commit=False)
    result = relay.relay_once()

    assert result.claimed == 0
    assert sent_count(order) == (0, 0)
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 0


def test_a_consumer_killed_after_commit_before_ack_applies_the_redelivery_zero_times(
    services, rabbitmq_url, topology
):
    order, catalog, tenant, start = services
    worker = EventWorker(catalog, topology=topology)
    worker.consumer.declare()
    EventWorker(order, topology=topology).relay.relay_once()
    place_orders(order, ALPHA, 1)
    assert EventWorker(order, topology=topology).relay.relay_once().sent == 1

    # A first consumer takes the message, commits its effect, and dies before
    # acking: closing its connection hands the message back to the broker.
    with pika_channel(rabbitmq_url) as channel:
        method, _props, body = channel.basic_get(topology.queue("catalog"))
        first = EventProcessor(catalog).process(body)
    assert first.outcome is Outcome.APPLIED
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 1

    worker.start()
    assert wait_until(lambda: worker.consumer.stats.duplicates == 1, 10)
    worker.stop()

    print(f"applied {ledger_counts(catalog)[0]} time(s) after a redelivery")
    assert ledger_counts(catalog) == (1, 1)
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 0


def test_a_failing_event_is_dead_lettered_after_its_tries_while_later_ones_flow(
    services, rabbitmq_url, topology, poison
):
    order, catalog, tenant, start = services
    start(catalog, order)
    ids = place_orders(order, ALPHA, 1)
    poison.failing.add(ids[0])
    tenantless = {
        "id": "x1",
        "type": "order.placed",
        "version": 1,
        "occurred_at": "2026-01-01T00:00:00Z",
        "payload": {},
    }
    publish_raw(rabbitmq_url, topology.exchange, "order.placed", b"{not json")
    publish_raw(
        rabbitmq_url, topology.exchange, "order.placed", json.dumps(tenantless).encode()
    )
    later = place_orders(order, ALPHA, 10)

    dlq = topology.dead_letter_queue("catalog")
    assert wait_until(lambda: queue_depth(rabbitmq_url, dlq) == 3, 20)
    assert wait_until(lambda: ledger_counts(catalog)[1] == 10, 10)

    letters = browse(rabbitmq_url, dlq)
    by_error = {h["x-telecart-error"].split(":")[0]: h for h, _ in letters}
    print(
        "dead letters: "
        + ", ".join(
            f"{k} after {v['x-telecart-attempts']}" for k, v in by_error.items()
        )
    )
    assert by_error["RuntimeError"]["x-telecart-attempts"] == 3
    assert by_error["RuntimeError"]["x-telecart-dead-letter-id"] == ids[0]
    assert by_error["MalformedEvent"]["x-telecart-attempts"] == 1
    assert by_error["EventWithoutTenant"]["x-telecart-attempts"] == 1
    assert poison.tries[ids[0]] == 3
    assert all(poison.tries[i] == 1 for i in later)

    # The operator fixes the cause and replays the one that can now succeed.
    poison.failing.clear()
    dead_letters = DeadLetterQueues(rabbitmq_url, topology)
    listed = dead_letters.list("catalog")
    assert len(listed) == 3 and queue_depth(rabbitmq_url, dlq) == 3
    replayed = dead_letters.replay(ids[0], ["order", "catalog"])

    assert replayed is not None and replayed.event_type == "order.placed"
    assert wait_until(lambda: ledger_counts(catalog)[1] == 11, 10)
    assert queue_depth(rabbitmq_url, dlq) == 2
    assert ledger_counts(catalog) == (11, 11)


def test_a_relay_that_dies_holding_a_lease_leaves_its_rows_to_another(
    services, rabbitmq_url, topology
):
    order, catalog, tenant, start = services
    EventWorker(catalog, topology=topology).consumer.declare()
    place_orders(order, ALPHA, 5)
    doomed = EventWorker(order, topology=topology, relay_id="doomed").relay

    claimed = doomed.claim()  # ...and the process dies before publishing.
    heir = EventWorker(order, topology=topology, relay_id="heir").relay
    during_lease = heir.relay_once()
    time.sleep(1.2)
    after_lease = heir.relay_once()

    assert len(claimed) == 5
    assert during_lease.claimed == 0
    assert after_lease.sent == 5
    assert queue_depth(rabbitmq_url, topology.queue("catalog")) == 5


def test_an_unroutable_event_stays_in_the_outbox_instead_of_vanishing(
    services, topology
):
    order, catalog, tenant, start = services
    relay = EventWorker(order, topology=topology).relay

    place_orders(order, ALPHA, 1)
    result = relay.relay_once()

    assert result.refused == 1 and result.sent == 0
    assert sent_count(order) == (1, 0)
    with runtime(order).engine.connect() as connection:
        error = connection.scalar(select(outbox.c.last_error))
    assert "unroutable" in error
