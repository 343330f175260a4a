"""Callbacks must be signed by the brand's fulfilment system; the tick
command resumes overdue sagas from the database."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from services.cli import main
from tests.order.harness import HOST, Rig, family_order


def test_a_callback_with_a_wrong_signature_is_refused_and_changes_nothing(tmp_path):
    with Rig(f"sqlite:///{tmp_path}/order.db") as rig:
        order_id = rig.place_order(family_order())
        rig.bus.pump()
        request = next(iter(rig.standin.requests.values()))
        forged = {**request.pending[0], "callback_id": "forged-1"}

        answer = rig.client.post(
            "/api/order/fulfilment/callbacks",
            data=json.dumps(forged),
            headers={
                "Host": HOST,
                "Content-Type": "application/json",
                "X-Fulfilment-Signature": "sha256=" + "0" * 64,
            },
        )

        assert answer.status_code == 401
        assert rig.state(order_id)["status"] == "confirmed"
        assert "order.shipped" not in rig.order_events(order_id)


def test_the_tick_command_times_out_a_silent_payment_from_the_database(
    tmp_path, monkeypatch
):
    url = f"sqlite:///{tmp_path}/order.db"
    with Rig(url) as rig:
        rig.configure(payment_timeout_s=1)
        rig.payment.mode = "silent"
        order_id = rig.place_order(family_order())
        rig.bus.pump()
        time.sleep(1.2)

        monkeypatch.setenv("ORDER_DATABASE_URL", url)
        monkeypatch.setenv("LOG_FORMAT", "console")
        result = CliRunner().invoke(main, ["order", "tick"])
        rig.settle()

        print("\n" + result.output.strip())
        assert result.exit_code == 0, result.output
        assert "northwind: 1 checked, 0 failed" in result.output
        state = rig.state(order_id)
        assert state["status"] == "cancelled"
        assert ("deadline_passed", "timed_out") in state["timeline"]
        assert rig.payment.open_authorisations(order_id) == 0
