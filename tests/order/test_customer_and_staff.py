"""Customers see their orders and timelines; staff search and see the saga."""

from __future__ import annotations

from shared.tenancy import Tenant
from tests.order.harness import HOST, Rig, customer, family_order, staff, token


def test_a_customer_sees_only_their_orders_with_each_orders_timeline(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        mine = rig.place_order(family_order("ana@example.com"))
        rig.place_order(family_order("bo@example.com"))
        rig.settle()

        listed = rig.client.get(
            "/api/order/orders", headers=customer("acct-ana")
        ).get_json()
        one = rig.client.get(f"/api/order/orders/{mine}", headers=customer("acct-ana"))
        theirs = rig.client.get(
            f"/api/order/orders/{mine}",
            headers=customer("acct-bo"),
        )
        anonymous = rig.client.get("/api/order/orders", headers={"Host": HOST})

        actions = [entry["action"] for entry in one.get_json()["timeline"]]
        print("\ntimeline:", actions)
        assert [o["id"] for o in listed] == [mine]
        assert one.get_json()["status"] == "completed"
        assert actions[0] == "order_placed" and actions[-2] == "order_completed"
        assert theirs.status_code == 404
        assert anonymous.status_code == 401
        other_brand = Tenant(id="22222222-2222-2222-2222-222222222222", slug="volt")
        volt_token = token("acct-ana", ["customer"], other_brand)
        misdirected = rig.client.get(
            "/api/order/orders",
            headers={"Host": HOST, "Authorization": f"Bearer {volt_token}"},
        )
        assert misdirected.status_code == 403


def test_staff_find_an_order_by_number_email_or_phone_and_see_its_saga(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(family_order("ana@example.com"))
        rig.place_order(family_order("bo@example.com"))
        rig.settle()

        def search(**query):
            answer = rig.client.get(
                "/api/order/staff/orders", query_string=query, headers=staff()
            )
            return [o["id"] for o in answer.get_json()]

        assert search(number="nw-100001") == [order_id]
        assert search(email="ANA@example.com") == [order_id]
        assert order_id in search(phone="07700900123")  # the ported number
        staff_view = rig.client.get(
            f"/api/order/staff/orders/{order_id}", headers=staff()
        ).get_json()
        assert staff_view["saga"]["status"] == "completed"
        assert staff_view["saga"]["payment"] == "captured"
        refused = rig.client.get(
            "/api/order/staff/orders", headers=customer("acct-ana")
        )
        assert refused.status_code == 403
