"""The order saga run for real: catalog, order and payment apps, each on its
own SQLite database, wired by the in-process event bus, paying at the
sandbox gateway and fulfilled by the fulfilment stand-in over HTTP.

Each run prints one row: order, outcome, reason, stock before/after and
what the sandbox saw (authorisations, captures, voids, open).
"""

from __future__ import annotations

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
