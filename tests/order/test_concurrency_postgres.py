"""Two things at once for one order, on PostgreSQL with real threads."""

from __future__ import annotations

import threading

import pytest

from tests.order.doubles import envelope
from tests.order.harness import (
    FAIRPHONE,
    IPHONE,
    NORTHWIND,
    Rig,
    fairphone_order,
    family_order,
)

pytestmark = pytest.mark.postgres


def at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_lines_activated_at_the_same_moment_both_count_and_complete_once(
    postgres_url,
):
    with Rig(postgres_url) as rig:
        order_ids = [rig.place_order(family_order()) for _ in range(4)]
        rig.bus.pump()
        last: dict[str, list] = {order_id: [] for order_id in order_ids}
        for request in rig.standin.requests.values():
            update = request.pending.pop()  # hold back each line_activated
            request.sent.append(update)
            last[update["order_id"]].append(update)
        rig.settle()
        url = next(iter(rig.standin.requests.values())).body["callback_url"]

        lost = 0
        for order_id in order_ids:
            assert rig.state(order_id)["status"] == "in_fulfilment"
            answers = at_once(
                *[lambda u=u: rig.standin.post_callback(url, u) for u in last[order_id]]
            )
            rig.settle()
            state = rig.state(order_id)
            assert answers == [200, 200]
            lost += sum(1 for status, _ in state["lines"] if status != "active")
            assert state["status"] == "completed"
            assert rig.order_events(order_id).count("order.completed") == 1
            assert rig.order_events(order_id).count("order.line_activated") == 2

        print(
            f"\nline activations at the same moment: lost {lost} of "
            f"{2 * len(order_ids)}"
        )
        assert lost == 0


def test_the_same_reservation_delivered_twice_at_once_asks_for_payment_once(
    postgres_url,
):
    with Rig(postgres_url) as rig:
        rig.catalog.silent = True
        order_id = rig.place_order(family_order())
        rig.bus.pump()
        placed = rig.bus.of_type("order.placed")[-1].payload
        reserved = {"order_id": order_id, "lines": placed["lines"]}
        first = envelope("catalog.stock_reserved", reserved, NORTHWIND.id)
        second = envelope("catalog.stock_reserved", reserved, NORTHWIND.id)
        rig.bus.deliver_at_once(first, second, first)

        sent = rig.order_events(order_id)
        assert sent.count("order.payment_requested") == 1
        assert (
            rig.state(order_id)["timeline"].count(("stock_reserved", "duplicate")) == 1
        )


def test_an_authorisation_racing_the_deadline_never_leaves_money_held(
    postgres_url,
):
    outcomes = []
    for _ in range(3):
        with Rig(postgres_url) as rig:
            rig.payment.mode = "silent"
            order_id = rig.place_order(family_order())
            rig.bus.pump()
            request = rig.payment.withheld.pop()
            rig.payment.mode = "approve"

            at_once(
                lambda r=request: rig.payment.authorise(r.payload) or rig.bus.pump(),
                lambda: rig.tick(after_s=61),
            )
            rig.settle()

            state = rig.state(order_id)
            outcomes.append(state["status"])
            assert state["status"] in ("completed", "cancelled")
            assert rig.payment.open_authorisations(order_id) == 0
            assert rig.catalog.held_for(order_id) == (
                1 if state["status"] == "completed" else 0
            )
    print("\nauthorised vs deadline outcomes:", outcomes)


def test_two_shoppers_racing_for_the_last_fairphone_one_confirmed_one_out_of_stock(
    postgres_url,
):
    with Rig(postgres_url, stock={FAIRPHONE: 1, IPHONE: 5}) as rig:
        answers = at_once(
            lambda: rig.place(fairphone_order("mia@example.com")),
            lambda: rig.place(fairphone_order("noah@example.com")),
        )
        assert [a.status_code for a in answers] == [201, 201]
        orders = [a.get_json() for a in answers]
        placed = rig.bus.of_type("order.placed")
        rig.bus.queue.clear()
        at_once(*[lambda p=p: rig.catalog.reserve(p.payload) for p in placed])
        rig.bus.pump()

        states = {o["number"]: rig.state(o["id"]) for o in orders}
        for number, state in states.items():
            print(f"\n{number}: {state['status']:10} {state['reason'] or ''}")
        statuses = sorted(s["status"] for s in states.values())
        assert statuses == ["cancelled", "confirmed"]
        loser = next(s for s in states.values() if s["status"] == "cancelled")
        assert "out of stock" in loser["reason"]
        assert sorted(states) == ["NW-100001", "NW-100002"]
        assert rig.catalog.on_hand[FAIRPHONE] == 0
        assert sum(rig.payment.open_authorisations(o["id"]) for o in orders) == 1
