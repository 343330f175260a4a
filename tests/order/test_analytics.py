"""Brand staff see orders and revenue per day and channel, AOV and rates."""

from __future__ import annotations

import json

from tests.order.harness import (
    Rig,
    customer,
    fairphone_order,
    family_order,
    staff,
)


def test_analytics_count_orders_revenue_cancellations_and_returns(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.place_order(family_order("a@example.com"))  # web, completes, 3000
        rig.settle()
        rig.payment.mode = "decline"
        rig.place_order(family_order("b@example.com"))  # web, cancelled
        rig.settle()
        rig.payment.mode = "approve"
        returned = rig.place_order(fairphone_order("c@example.com"))  # retail 64900
        rig.settle()
        with rig.scope() as session:
            from services.order.models import OrderLine

            line_id = session.query(OrderLine).filter_by(order_id=returned).one().id
        rig.client.post(
            f"/api/order/orders/{returned}/returns",
            json={"line_id": line_id, "scope": "line"},
            headers=customer("acct-c"),
        )

        summary = rig.client.get(
            "/api/order/staff/analytics", headers=staff()
        ).get_json()

        print("\n" + json.dumps(summary, indent=1))
        assert summary["orders"] == 3
        assert summary["revenue_due_today"] == 3000 + 64900
        assert summary["average_order_value"] == (3000 + 64900) // 2
        assert summary["cancellation_rate"] == round(1 / 3, 4)
        assert summary["return_rate"] == round(1 / 3, 4)
        by_channel = {r["channel"]: r for r in summary["per_day_and_channel"]}
        assert by_channel["web"]["orders"] == 2
        assert by_channel["retail"]["revenue_due_today"] == 64900
