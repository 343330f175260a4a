"""Cancel before dispatch; after it, a 14-day cooling-off return with refund."""

from __future__ import annotations

from datetime import timedelta

from services.order.models import OrderLine
from tests.order.harness import IPHONE, Rig, customer, family_order, staff


def device_line(rig: Rig, order_id: str) -> str:
    with rig.scope() as session:
        return (
            session.query(OrderLine).filter_by(order_id=order_id, sku=IPHONE).one().id
        )


def test_after_dispatch_cancelling_is_refused_and_a_device_return_refunds_on_receipt(
    tmp_path,
):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(family_order())
        rig.settle()
        line_id = device_line(rig, order_id)

        too_late = rig.client.post(
            f"/api/order/orders/{order_id}/cancellation", headers=customer("acct-ana")
        )
        asked = rig.client.post(
            f"/api/order/orders/{order_id}/returns",
            json={"line_id": line_id, "scope": "device"},
            headers=customer("acct-ana"),
        )
        return_id = asked.get_json()["id"]
        rig.settle()
        before_receipt = (rig.catalog.on_hand[IPHONE], rig.payment.charged(order_id))
        received = rig.client.post(
            f"/api/order/staff/orders/{order_id}/returns/{return_id}/receipt",
            headers=staff(),
        )
        rig.settle()

        print(
            f"\nbefore receipt: stock {before_receipt[0]}, charged "
            f"{before_receipt[1]}; after: stock {rig.catalog.on_hand[IPHONE]}, "
            f"charged {rig.payment.charged(order_id)}"
        )
        assert too_late.status_code == 409
        assert asked.status_code == 201 and asked.get_json()["refund_amount"] == 3000
        assert before_receipt == (4, 3000)  # nothing moves until the item is back
        assert received.status_code == 200
        assert rig.catalog.on_hand[IPHONE] == 5
        assert rig.payment.charged(order_id) == 0
        assert rig.order_events(order_id).count("order.refund_requested") == 1
        assert ("order.refunded", "ana@example.com") in rig.notifications(order_id)


def test_a_return_after_the_14_day_cooling_off_period_is_refused(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(family_order())
        rig.settle()
        line_id = device_line(rig, order_id)
        with rig.scope() as session:
            line = session.get(OrderLine, line_id)
            line.delivered_at = line.dispatched_at - timedelta(days=15)
            session.commit()

        answer = rig.client.post(
            f"/api/order/orders/{order_id}/returns",
            json={"line_id": line_id, "scope": "line"},
            headers=customer("acct-ana"),
        )

        assert answer.status_code == 409
        assert "cooling-off" in answer.get_json()["detail"]
        assert "order.return_requested" not in rig.order_events(order_id)
