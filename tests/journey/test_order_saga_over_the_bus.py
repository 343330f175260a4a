"""The order saga run for real: catalog, order and payment apps, each on its
own SQLite database, wired by the in-process event bus, paying at the
sandbox gateway and fulfilled by the fulfilment stand-in over HTTP.

Each run prints one row: order, outcome, reason, stock before/after and
what the sandbox saw (authorisations, captures, voids, open).
"""

from __future__ import annotations

import time
import uuid

import pytest

from shared.events import InProcessBus
from tests.journey.harness import Platform
from tests.order.harness import FAIRPHONE, IPHONE, fairphone_order, family_order

RUNS: list[tuple] = []


def paying_with(order: dict, token: str) -> dict:
    return {**order, "payment_method": {"provider": "sandbox", "token": token}}


def in_order(sequence: list[str], expected: list[str]) -> bool:
    """``expected`` appears in ``sequence`` in this order (others may interleave)."""
    remaining = iter(sequence)
    return all(kind in remaining for kind in expected)


@pytest.fixture
def platform(tmp_path):
    urls = {s: f"sqlite:///{tmp_path}/{s}.db" for s in ("catalog", "order", "payment")}
    with Platform(urls) as running:
        running.bus = InProcessBus(running.apps)
        yield running


@pytest.fixture(scope="module", autouse=True)
def table_of_runs():
    yield
    print(
        "\nrun              order      outcome    reason" + " " * 43 + "stock  sandbox"
    )
    for run in RUNS:
        print("{:<16} {:<10} {:<10} {:<48} {:<6} {}".format(*run))


def record(run: str, platform: Platform, order_id: str, sku: str, before: int):
    state = platform.order_state(order_id)
    sandbox = platform.sandbox(order_id)
    RUNS.append(
        (
            run,
            state["number"],
            state["status"],
            (state["reason"] or "-")[:48],
            f"{before}->{platform.stock(sku)}",
            "auth {authorisations} cap {captures} void {voids} open {open}".format(
                **sandbox
            ),
        )
    )
    return state, sandbox


def test_a_family_order_paid_with_tok_approve_ends_completed(platform):
    before = platform.stock(IPHONE)

    order_id = platform.place(paying_with(family_order(), "tok_approve"))
    platform.bus.drain()
    confirmed = platform.order_state(order_id)["status"]
    platform.fulfil(platform.bus.drain)

    state, sandbox = record("happy path", platform, order_id, IPHONE, before)
    events = platform.events(order_id)
    print("\nevents:", " > ".join(events))
    assert confirmed in ("confirmed", "in_fulfilment")
    assert state["status"] == "completed", state
    assert in_order(
        events,
        [
            "order.placed",
            "catalog.stock_reserved",
            "order.payment_requested",
            "payment.authorised",
            "order.confirmed",
            "order.shipped",
            "order.capture_requested",
            "payment.captured",
            "order.line_activated",
            "order.completed",
        ],
    ), events
    assert events.count("order.line_activated") == 2
    assert platform.stock(IPHONE) == before - 1
    assert sandbox == {"authorisations": 1, "captures": 1, "voids": 0, "open": 0}
    assert platform.payments(order_id) == ["captured"]
    assert platform.bus.dead_letters("order") == []
    assert platform.bus.dead_letters("payment") == []


def test_a_declined_card_cancels_the_order_and_puts_the_stock_back(platform):
    before = platform.stock(IPHONE)

    order_id = platform.place(paying_with(family_order(), "tok_decline"))
    platform.bus.drain()

    state, sandbox = record("tok_decline", platform, order_id, IPHONE, before)
    events = platform.events(order_id)
    print("\nevents:", " > ".join(events))
    assert state["status"] == "cancelled", state
    assert "declined" in state["reason"].lower()
    assert in_order(
        events,
        [
            "order.placed",
            "catalog.stock_reserved",
            "order.payment_requested",
            "payment.declined",
            "order.cancelled",
            "catalog.stock_released",
        ],
    ), events
    assert platform.stock(IPHONE) == before
    assert sandbox["captures"] == 0 and sandbox["open"] == 0
    assert platform.payments(order_id) == ["declined"]
    assert state["outstanding"] == []


def test_two_shoppers_race_for_the_last_fairphone_and_one_gets_it(platform):
    platform.set_stock(FAIRPHONE, 1)

    first = platform.place(
        paying_with(fairphone_order("ana@example.com"), "tok_approve")
    )
    second = platform.place(
        paying_with(fairphone_order("ben@example.com"), "tok_approve")
    )
    platform.bus.drain()

    won, _ = record("last fairphone A", platform, first, FAIRPHONE, 1)
    lost, lost_sandbox = record("last fairphone B", platform, second, FAIRPHONE, 1)
    outcomes = sorted([won["status"], lost["status"]])
    assert outcomes == ["cancelled", "confirmed"], (won, lost)
    loser = lost if lost["status"] == "cancelled" else won
    assert "out of stock" in loser["reason"].lower()
    assert platform.stock(FAIRPHONE) == 0
    assert lost_sandbox["open"] + platform.sandbox(first)["open"] == 1


@pytest.mark.postgres
def test_the_happy_path_runs_over_rabbitmq_with_a_database_per_service(rabbitmq_url):
    """The same family order with PostgreSQL per service and one event worker
    (outbox relay + consumer) per service on a fresh RabbitMQ exchange."""
    from shared.events.amqp import Topology
    from shared.events.worker import EventWorker
    from tests.events.broker import delete_topology
    from tests.support.services import fresh_postgres_database

    made = {s: fresh_postgres_database() for s in ("catalog", "order", "payment")}
    topology = Topology.for_exchange(f"tc{uuid.uuid4().hex[:10]}.events")
    overrides = {"broker_url": rabbitmq_url, "events_exchange": topology.exchange}
    workers = []
    try:
        with Platform({s: url for s, (url, _) in made.items()}, **overrides) as running:
            workers = [
                EventWorker(app, topology=topology) for app in running.apps.values()
            ]
            for worker in workers:
                worker.consumer.declare()
            for worker in workers:
                worker.start()
            before = running.stock(IPHONE)
            started = time.perf_counter()

            order_id = running.place(paying_with(family_order(), "tok_approve"))
            wait_for(lambda: len(running.standin.requests) == 2)  # both lines sent
            running.fulfil(lambda: time.sleep(0.6))
            wait_for(lambda: running.order_state(order_id)["status"] == "completed")
            wait_for(lambda: running.sandbox(order_id)["captures"] == 1)
            seconds = time.perf_counter() - started

            state, sandbox = record("rabbitmq+pg", running, order_id, IPHONE, before)
            events = running.events(order_id)
            print(f"\nover RabbitMQ in {seconds:.1f}s:", " > ".join(events))
            assert state["status"] == "completed", state
            assert in_order(
                events,
                [
                    "order.placed",
                    "catalog.stock_reserved",
                    "order.payment_requested",
                    "payment.authorised",
                    "order.confirmed",
                    "order.capture_requested",
                    "payment.captured",
                    "order.completed",
                ],
            ), events
            assert running.stock(IPHONE) == before - 1
            assert sandbox == {
                "authorisations": 1,
                "captures": 1,
                "voids": 0,
                "open": 0,
            }
    finally:
        for worker in workers:
            worker.stop()
        delete_topology(rabbitmq_url, topology)
        for _, drop in made.values():
            drop()


def wait_for(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the saga did not get there in time")
        time.sleep(0.1)
