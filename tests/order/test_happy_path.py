"""A Northwind family order goes from checkout to two active lines."""

from tests.order.harness import IPHONE, Rig, family_order


def test_a_family_order_with_a_device_and_a_port_in_ends_completed(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(family_order())
        rig.settle()

        state = rig.state(order_id)
        sent = rig.order_events(order_id)
        print("\nevents in order:", " -> ".join(sent))
        print("timeline:", [a for a, _ in state["timeline"]])

        assert state["status"] == "completed"
        assert state["number"] == "NW-100001"
        assert state["lines"] == [("active", "mobile"), ("active", "mobile")]
        assert state["payment"] == "captured" and state["outstanding"] == []
        assert sent[:3] == [
            "order.placed",
            "order.payment_requested",
            "order.confirmed",
        ]
        assert sent.index("order.shipped") < sent.index("order.capture_requested")
        assert sent.count("order.capture_requested") == 1
        assert sent.count("order.line_activated") == 2
        assert sent[-1] == "order.completed"
        assert rig.payment.charged(order_id) == 3000
        assert rig.payment.capture_count(order_id) == 1
        assert rig.catalog.on_hand[IPHONE] == 4
        kinds = [k for k, _ in rig.notifications(order_id)]
        assert "order.confirmed" in kinds and "order.completed" in kinds
        assert ("order.shipped:esim_code_sent", "leo@example.com") in rig.notifications(
            order_id
        )


def test_an_esim_only_order_needs_no_stock_and_goes_straight_to_payment(tmp_path):
    order = family_order()
    order["lines"] = order["lines"][1:]
    order["totals"] = {"due_today": 0, "monthly": 1800}
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(order)
        rig.settle()

        state = rig.state(order_id)
        assert state["status"] == "completed"
        assert state["stock"] == "not_needed"
        assert ("no_stock_to_reserve", "done") in state["timeline"]
        assert rig.bus.of_type("order.payment_requested")[0].payload["amount"] == 0
