"""Checkout creates an order: telecom details checked; a repeated key, one order."""

from __future__ import annotations

from datetime import date, timedelta

from services.order.models import Order
from tests.order.harness import Rig, family_order


def fields_of(answer) -> set[str]:
    return {error["field"] for error in answer.get_json().get("errors", [])}


def count_orders(rig: Rig) -> int:
    with rig.scope() as session:
        return session.query(Order).count()


def test_bad_telecom_details_are_refused_field_by_field_and_nothing_is_stored(
    tmp_path,
):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order = family_order()
        port = order["lines"][1]["number"]
        port["pac_code"] = "AB1234567"
        port["port_date"] = (date.today() + timedelta(days=45)).isoformat()
        order["lines"][1]["esim_email"] = None
        order["totals"]["due_today"] = 1

        answer = rig.place(order)

        print("\nrefused fields:", sorted(fields_of(answer)))
        assert answer.status_code == 422
        assert answer.mimetype == "application/problem+json"
        assert {
            "lines.1.number.pac_code",
            "lines.1.number.port_date",
            "lines.1.esim_email",
            "totals.due_today",
        } <= fields_of(answer)
        assert count_orders(rig) == 0


def test_a_port_date_in_the_past_and_raw_card_data_are_refused(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        late_port = family_order()
        late_port["lines"][1]["number"]["port_date"] = date.today().isoformat()
        with_card = family_order()
        with_card["payment_method"]["card_number"] = "4242424242424242"

        late_answer = rig.place(late_port)
        card_answer = rig.place(with_card)

        assert late_answer.status_code == card_answer.status_code == 422
        assert "lines.1.number.port_date" in fields_of(late_answer)
        # Card data is refused at the edge, before the order's own checks run.
        assert fields_of(card_answer) == {"payment_method.card_number"}
        assert count_orders(rig) == 0


def test_the_same_idempotency_key_returns_the_same_order_and_places_it_once(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order = family_order()
        first = rig.place(order, key="checkout-bsk-1")
        again = rig.place(order, key="checkout-bsk-1")
        other = rig.place(family_order(), key="checkout-bsk-2")

        assert first.status_code == again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert first.get_json()["id"] == again.get_json()["id"]
        assert first.get_json()["number"] == "NW-100001"
        assert other.get_json()["number"] == "NW-100002"
        assert count_orders(rig) == 2
        assert len(rig.bus.of_type("order.placed")) == 2
