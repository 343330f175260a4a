"""A provider settlement file against the ledger: matched, missing, mismatched."""

import itertools
import logging
from datetime import UTC, datetime

from click.testing import CliRunner

from services.cli import main
from tests.payment.harness import NORTHWIND, back_office

_keys = itertools.count()


def post(client, path: str, body: dict):
    return client.post(
        "/api/payment" + path,
        json=body,
        headers=back_office(NORTHWIND, f"r-{next(_keys)}"),
    )


def telecart(app, *args: str) -> str:
    root = logging.getLogger()
    handlers = root.handlers[:]
    result = CliRunner().invoke(
        main,
        ["payments", *args],
        env={"PAYMENT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]},
    )
    root.handlers[:] = handlers
    assert result.exit_code == 0, result.output
    return result.output


def test_a_settlement_file_is_reconciled_against_the_ledger(payment, tmp_path):
    app, _ = payment
    client = app.test_client()
    references = []
    for index in range(3):
        authorised = post(
            client,
            "/authorisations",
            {
                "order_id": f"o-rec-{index}",
                "amount": 1000 * (index + 1),
                "currency": "GBP",
                "provider": "stripe",
                "payment_token": "pm_card_visa",
                "customer": {"id": f"cust-rec-{index}"},
            },
        )
        captured = post(client, f"/payments/{authorised.json['id']}/captures", {})
        references.append(captured.json["ledger"][-1]["provider_reference"])
    refunded = post(
        client, f"/payments/{authorised.json['id']}/refunds", {"amount": 500}
    )
    refund_reference = refunded.json["ledger"][-1]["provider_reference"]

    settlement = tmp_path / "stripe-settlement.csv"
    settlement.write_text(
        "reference,kind,amount,currency\n"
        f"{references[0]},capture,1000,GBP\n"
        f"{references[1]},capture,2100,GBP\n"
        f"{refund_reference},refund,500,gbp\n"
        "ch_not_ours,capture,700,GBP\n"
    )

    output = telecart(
        app,
        "reconcile",
        "--brand",
        "northwind",
        "--provider",
        "stripe",
        "--file",
        str(settlement),
    )
    today = telecart(
        app,
        "report",
        "--brand",
        "northwind",
        "--date",
        datetime.now(UTC).date().isoformat(),
    )

    print(output, today, sep="\n")
    assert output.splitlines()[0] == (
        "northwind stripe: matched 2, missing in ledger 1, missing in settlement 1, "
        "mismatched 1"
    )
    assert (
        f"mismatched {references[1]}: ledger capture 2000 GBP, settlement "
        "capture 2100 GBP" in output
    )
    assert f"missing in settlement {references[2]}" in output
    assert "missing in ledger ch_not_ours" in output
    assert "stripe   capture        GBP     3         6000" in today
    assert "stripe   refund         GBP     1          500" in today
