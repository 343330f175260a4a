"""Monthly billing through ``telecart payments bill``: amounts, dunning, once only."""

import logging
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from services.cli import main
from services.payment.billing import monthly_amount
from services.payment.models import Subscription, db
from shared.tenancy import tenant_scope
from tests.payment.harness import NORTHWIND, back_office, emitted_events

NORTHWIND_UNLIMITED_WELCOME10 = [
    {
        "code": "plan-unlimited",
        "kind": "plan",
        "amount": 2700,
        "term_months": 24,
        "discounts": [
            {"source": "campaign:winter-unlimited", "percent": 50, "months": 6},
            {"source": "promotion:WELCOME10", "percent": 10, "months": 12},
        ],
    }
]

# By hand: months 1-6 half price then 10% off (2700 / 2 = 1350, less 135 = 1215);
# months 7-12 only WELCOME10 (2700 less 270 = 2430); months 13-14 full 2700.
HAND_COMPUTED = [1215] * 6 + [2430] * 6 + [2700] * 2


@pytest.fixture
def bill(payment):
    app, _ = payment
    runner = CliRunner()
    env = {"PAYMENT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}

    def run(*args: str) -> str:
        root = logging.getLogger()
        handlers = root.handlers[:]
        result = runner.invoke(main, ["payments", "bill", *args], env=env)
        root.handlers[:] = handlers
        assert result.exit_code == 0, result.output
        return result.output

    return run


def subscribe(app, customer_id: str, token: str, components=None):
    return app.test_client().post(
        "/api/payment/subscriptions",
        json={
            "order_id": f"order-{customer_id}",
            "line_id": "line-1",
            "customer_id": customer_id,
            "provider": "sandbox",
            "token": token,
            "currency": "GBP",
            "activated_on": "2026-12-15",
            "components": components or NORTHWIND_UNLIMITED_WELCOME10,
        },
        headers=back_office(NORTHWIND, f"sub-{customer_id}"),
    )


def test_the_hand_computed_schedule_of_northwind_unlimited_with_welcome10():
    schedule = [monthly_amount(NORTHWIND_UNLIMITED_WELCOME10, m) for m in range(1, 25)]

    assert schedule[:14] == HAND_COMPUTED
    assert schedule[14:] == [2700] * 10


def test_fourteen_months_billed_as_computed_and_a_failing_card_suspended(payment, bill):
    app, accounts = payment
    gateway = accounts["northwind"].gateway
    started = subscribe(app, "cust-healthy", "tok_approve_healthy")
    healthy = started.json["id"]
    failing = subscribe(app, "cust-failing", "tok_approve_failing").json["id"]
    assert started.status_code == 201
    assert started.json["first_billing_on"] == "2027-01-01"
    assert started.json["monthly_schedule"][:14] == HAND_COMPUTED

    first_four = bill(
        "--date", "2027-01-01", "--through", "2027-04-30", "--brand", "northwind"
    )
    gateway.set_token_outcome("tok_approve_failing", "decline")
    rest = bill(
        "--date", "2027-05-01", "--through", "2028-02-01", "--brand", "northwind"
    )
    again = [bill("--date", d) for d in ("2027-03-01", "2027-05-15", "2028-02-01")]

    with app.app_context(), tenant_scope(NORTHWIND):
        subs = {s.id: s for s in db.session.scalars(select(Subscription))}
        billed = {
            sid: [(c.period, c.amount, c.status, c.attempts) for c in s.charges]
            for sid, s in subs.items()
        }
        db.session.remove()
    events = emitted_events(app, NORTHWIND)

    paid = [amount for _, amount, status, _ in billed[healthy] if status == "paid"]
    captured = [
        amount
        for kind, reference, amount in gateway.movements
        if kind == "capture"
        and gateway.charges[reference].token == "tok_approve_healthy"
    ]
    print("\nmonth  due      charged")
    for month, (expected, charged) in enumerate(
        zip(HAND_COMPUTED, captured, strict=True), 1
    ):
        print(f"{month:>5}  {expected:>6}  {charged:>7}")
    print(first_four.strip(), rest.strip(), *[a.strip() for a in again], sep="\n")

    assert paid == HAND_COMPUTED
    assert captured == HAND_COMPUTED
    assert sum(captured) == 27270

    assert [row[:3] for row in billed[failing][:4]] == [
        (1, 1215, "paid"),
        (2, 1215, "paid"),
        (3, 1215, "paid"),
        (4, 1215, "paid"),
    ]
    assert billed[failing][4] == (5, 1215, "failed", 4)
    assert len(billed[failing]) == 5
    assert subs[failing].status == "suspended"
    assert subs[healthy].status == "active"

    failed = [
        payload
        for event_type, payload in events
        if event_type == "payment.subscription_charge_failed"
        and payload["subscription_id"] == failing
    ]
    suspended = [
        payload
        for event_type, payload in events
        if event_type == "payment.subscription_suspended"
    ]
    assert [f["next_attempt_on"] for f in failed] == [
        "2027-05-04",
        "2027-05-08",
        "2027-05-15",
    ]
    assert [(s["subscription_id"], s["period"], s["attempt"]) for s in suspended] == [
        (failing, 5, 4)
    ]
    assert all("charged 0 " in line for line in again if "northwind" in line)


def test_a_discount_without_percent_or_amount_is_refused_and_nothing_stored(payment):
    app, _ = payment
    components = [
        {
            "code": "plan-unlimited",
            "kind": "plan",
            "amount": 2700,
            "term_months": 24,
            "discounts": [{"source": "promotion:BROKEN", "months": 3}],
        }
    ]

    answer = subscribe(app, "cust-broken", "tok_approve", components)

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json["errors"]] == [
        "components.0.discounts.0.percent"
    ]
    with app.app_context(), tenant_scope(NORTHWIND):
        stored = db.session.scalars(
            select(Subscription).where(Subscription.customer_id == "cust-broken")
        ).all()
        db.session.remove()
    assert stored == []


def test_two_billing_runs_at_once_for_the_same_day_charge_once(payment):
    from concurrent.futures import ThreadPoolExecutor

    from services.payment.billing import run_billing

    app, accounts = payment
    subscription_id = subscribe(app, "cust-race", "tok_approve_race").json["id"]

    def run(_):
        with app.app_context(), tenant_scope(NORTHWIND):
            report = run_billing(date(2027, 1, 1))
            db.session.remove()
        return len(report.charged)

    with ThreadPoolExecutor(max_workers=4) as pool:
        charged = list(pool.map(run, range(4)))

    order_id = f"sub-{subscription_id}-p1"
    charges = accounts["northwind"].gateway.charge_count(order_id)
    print(f"4 billing runs at once: {charges} charge")
    assert charges == 1
    assert sum(charged) == 1


def test_a_charge_that_times_out_is_retried_next_run_and_charged_once(payment):
    from services.payment.billing import run_billing

    app, accounts = payment
    gateway = accounts["northwind"].gateway
    subscription_id = subscribe(app, "cust-slow", "tok_approve_slow").json["id"]
    gateway.set_token_outcome("tok_approve_slow", "timeout")

    reports = []
    for day in (date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)):
        with app.app_context(), tenant_scope(NORTHWIND):
            reports.append(run_billing(day))
            db.session.remove()

    charges = gateway.charge_count(f"sub-{subscription_id}-p1")
    print(f"billing timed out, retried next day: {charges} charge")
    assert [r.waiting for r in reports] == [1, 0, 0]
    assert [len(r.charged) for r in reports] == [0, 1, 0]
    assert charges == 1
