"""The built-in fulfilment simulator: brands without a fulfilment system of
their own (the embedded platform) still see their orders through to
``completed``, by the same status updates a real system would send."""

from __future__ import annotations

import pytest

from services.order.models import Order
from services.order.saga_state import settings_for
from shared.config import ConfigError, load_settings
from tests.order.harness import Rig, customer, family_order, staff


def run_clock(rig: Rig, order_id: str, ticks: int = 12) -> list[int]:
    """Tick (each a few seconds ahead) and deliver events until the order settles."""
    simulated = []
    for _ in range(ticks):
        simulated.append(rig.tick(after_s=5).simulated)
        rig.settle()
        if rig.state(order_id)["status"] in ("completed", "partial", "cancelled"):
            break
    return simulated


def fulfilment_updates(state: dict) -> list[str]:
    return [a for a, _ in state["timeline"] if a.startswith("fulfilment_")]


def test_a_brand_on_the_simulator_gets_every_status_update_and_completes(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ORDER_FULFILMENT_SIMULATOR", "1")
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.configure(fulfilment_mode="simulator")
        order_id = rig.place_order(family_order())
        rig.settle()
        assert rig.state(order_id)["status"] == "confirmed"

        simulated = run_clock(rig, order_id)

        state = rig.state(order_id)
        print("\nsimulated updates per tick:", simulated)
        print("fulfilment updates:", fulfilment_updates(state))
        assert state["status"] == "completed"
        assert state["lines"] == [("active", "mobile"), ("active", "mobile")]
        assert state["payment"] == "captured"
        assert rig.standin.requests == {}  # nothing went over HTTP
        assert sorted(fulfilment_updates(state)) == sorted(
            [
                "fulfilment_device_shipped",
                "fulfilment_sim_dispatched",
                "fulfilment_number_assigned",
                "fulfilment_line_activated",
                "fulfilment_esim_code_sent",
                "fulfilment_port_scheduled",
                "fulfilment_port_completed",
                "fulfilment_line_activated",
            ]
        )
        with rig.scope() as session:
            device_line, port_line = session.get(Order, order_id).lines
            print(
                "tracking:",
                device_line.tracking_number,
                "numbers:",
                device_line.msisdn,
                port_line.msisdn,
            )
            assert device_line.tracking_number.startswith("SIM")
            assert device_line.msisdn.startswith("07700900")
            assert port_line.msisdn == "07700900123"
        assert ("order.shipped:esim_code_sent", "leo@example.com") in rig.notifications(
            order_id
        )


def test_each_status_update_waits_a_moment_after_the_previous_one(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ORDER_FULFILMENT_SIMULATOR", "1")
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.configure(fulfilment_mode="simulator")
        rig.place_order(family_order())
        rig.settle()

        first = rig.tick(after_s=5).simulated
        at_once = rig.tick(after_s=0).simulated
        again = rig.tick(after_s=5).simulated

        print(f"\nfirst tick {first}, same moment {at_once}, a moment later {again}")
        assert (first, at_once, again) == (2, 0, 2)  # one update per line per step


def test_a_brand_without_a_fulfilment_url_uses_the_simulator_when_allowed(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ORDER_FULFILMENT_SIMULATOR", "1")
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.configure(fulfilment_base_url=None)
        order_id = rig.place_order(family_order())
        rig.settle()

        run_clock(rig, order_id)

        assert rig.state(order_id)["status"] == "completed"


def test_without_the_platform_allowance_nothing_is_simulated(tmp_path, monkeypatch):
    monkeypatch.delenv("ORDER_FULFILMENT_SIMULATOR", raising=False)
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.configure(fulfilment_mode="simulator")
        order_id = rig.place_order(family_order())
        rig.settle()

        report = rig.tick(after_s=5)

        state = rig.state(order_id)
        print("\nlines:", state["lines"], "simulated:", report.simulated)
        assert report.simulated == 0
        assert state["status"] == "confirmed"
        assert [s for s, _ in state["lines"]] == ["reserved", "pending"]
        assert ("line_submission_failed", "retry") in state["timeline"]


def test_production_refuses_the_simulator(monkeypatch):
    monkeypatch.setenv("TELECART_ENV", "production")
    monkeypatch.setenv("ORDER_FULFILMENT_SIMULATOR", "1")
    for service in ("tenant", "catalog", "channel", "basket", "order", "payment"):
        monkeypatch.setenv(
            f"{service.upper()}_DATABASE_URL", "postgresql://db/telecart"
        )
    monkeypatch.setenv("SECRETS_KEYS", "dGVsZWNhcnQtZGV2LWtleS1ub3Qtc2VjcmV0LTAwMDE=")

    with pytest.raises(ConfigError) as refused:
        load_settings()

    print("\n" + str(refused.value))
    assert "ORDER_FULFILMENT_SIMULATOR" in str(refused.value)


def test_staff_cannot_choose_the_simulator_where_the_platform_refuses_it(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("ORDER_FULFILMENT_SIMULATOR", raising=False)
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        refused = rig.client.put(
            "/api/order/staff/settings",
            json={"fulfilment_mode": "simulator"},
            headers=staff(),
        )

        print("\n", refused.status_code, refused.get_json()["errors"])
        assert refused.status_code == 422
        assert refused.get_json()["errors"][0]["field"] == "fulfilment_mode"
        with rig.scope() as session:
            assert settings_for(session).fulfilment_mode is None


def test_a_customer_cancels_a_simulated_order_before_anything_is_dispatched(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ORDER_FULFILMENT_SIMULATOR", "1")
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        rig.configure(fulfilment_mode="simulator")
        order_id = rig.place_order(family_order())
        rig.settle()

        cancelled = rig.client.post(
            f"/api/order/orders/{order_id}/cancellation", headers=customer("acct-ana")
        )
        rig.settle()
        later = rig.tick(after_s=5).simulated

        state = rig.state(order_id)
        print("\n", cancelled.status_code, state["status"], state["lines"], later)
        assert cancelled.status_code == 200, cancelled.get_json()
        assert state["status"] == "cancelled"
        assert later == 0 and fulfilment_updates(state) == []
