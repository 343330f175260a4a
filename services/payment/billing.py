"""Monthly billing of subscriptions, with campaign and promotion months.

A subscription is a line's recurring parts (plan, add-ons, device
instalments), each with its term and its discounts. On the brand's billing
day every active subscription gets one charge row per month: the unique
(subscription, period) key makes a second run for the same date charge
nothing more. A failed charge is retried on the brand's dunning schedule
(days after the due date); after the last attempt fails the subscription is
suspended and ``payment.subscription_suspended`` goes out.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.payment import service
from services.payment.errors import ProviderUnavailable, SubscriptionNotFound
from services.payment.events import emit
from services.payment.models import (
    Payment,
    PaymentStatus,
    Subscription,
    SubscriptionCharge,
    db,
)
from services.payment.screening import brand_settings
from shared.http.problems import Problem

log = structlog.get_logger(__name__)


def discounted(amount: int, discount: dict) -> int:
    """One discount on one month's price; percentages round half up."""
    if discount.get("percent") is not None:
        return amount - (amount * int(discount["percent"]) + 50) // 100
    return amount - min(amount, int(discount.get("amount", 0)))


def monthly_amount(components: list[dict], period: int) -> int:
    """What month ``period`` (1-based) costs: each part, its discounts in order."""
    total = 0
    for part in components:
        term = part.get("term_months")
        if term and period > term:
            continue

        amount = int(part["amount"])
        for discount in part.get("discounts", []):
            first = int(discount.get("from_month", 1))
            months = discount.get("months")
            last = first + int(months) - 1 if months else None
            if period >= first and (last is None or period <= last):
                amount = discounted(amount, discount)
        total += amount
    return total


def term_of(components: list[dict]) -> int | None:
    """The last month anything is due; None while any part rolls monthly."""
    terms = [part.get("term_months") for part in components]
    return None if any(t in (None, 1) for t in terms) else max(terms)


def billing_date(year: int, month: int, billing_day: int) -> date:
    """The brand's billing day in a month, the month's last day if it is short."""
    return date(year, month, min(billing_day, calendar.monthrange(year, month)[1]))


def next_billing_date(on_or_after: date, billing_day: int) -> date:
    candidate = billing_date(on_or_after.year, on_or_after.month, billing_day)
    if candidate >= on_or_after:
        return candidate
    year, month = divmod(on_or_after.year * 12 + on_or_after.month, 12)
    return billing_date(year, month + 1, billing_day)


def period_on(first_billing_on: date, on: date) -> int:
    return (
        (on.year - first_billing_on.year) * 12 + on.month - first_billing_on.month + 1
    )


@dataclass
class BillingReport:
    on: date
    charged: list[tuple[str, int, int]] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    suspended: list[str] = field(default_factory=list)
    waiting: int = 0

    @property
    def amount(self) -> int:
        return sum(amount for _, _, amount in self.charged)


def start_subscription(
    *,
    order_id: str,
    line_id: str,
    customer_id: str,
    provider: str,
    token: str,
    currency: str,
    activated_on: date,
    components: list[dict],
) -> Subscription:
    """Begin billing an active line from the brand's next billing day."""
    settings = brand_settings()
    subscription = Subscription(
        order_id=order_id,
        line_id=line_id,
        customer_id=customer_id,
        provider=provider,
        token=token,
        currency=currency,
        first_billing_on=next_billing_date(activated_on, settings.billing_day),
        components=components,
    )
    db.session.add(subscription)
    db.session.commit()
    log.info(
        "subscription_started",
        subscription_id=subscription.id,
        first_billing_on=subscription.first_billing_on.isoformat(),
    )
    return subscription


def get_subscription(subscription_id: str) -> Subscription:
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound(f"no subscription {subscription_id}")
    term = term_of(subscription.components) or 12
    subscription.monthly_schedule = [
        monthly_amount(subscription.components, period) for period in range(1, term + 1)
    ]
    return subscription


def run_billing(on: date) -> BillingReport:
    """Charge what is due on ``on`` for the brand in context; safe to repeat."""
    settings = brand_settings()
    report = BillingReport(on)

    if on == billing_date(on.year, on.month, settings.billing_day):
        _raise_charges(on)

    due = db.session.scalars(
        select(SubscriptionCharge.id)
        .join(Subscription)
        .where(
            Subscription.status == "active",
            SubscriptionCharge.status.in_(("due", "retrying")),
            SubscriptionCharge.next_attempt_on <= on,
        )
        .order_by(SubscriptionCharge.id)
    ).all()
    for charge_id in due:
        try:
            _attempt(charge_id, on, list(settings.dunning_days), report)
        except Problem as problem:
            # e.g. the provider was disabled: this charge waits, the run goes on.
            db.session.rollback()
            report.waiting += 1
            log.warning(
                "subscription_charge_waiting", charge_id=charge_id, reason=problem.slug
            )
    return report


def _raise_charges(on: date) -> None:
    subscriptions = db.session.scalars(
        select(Subscription).where(
            Subscription.status == "active", Subscription.first_billing_on <= on
        )
    ).all()
    for subscription in subscriptions:
        period = period_on(subscription.first_billing_on, on)
        term = term_of(subscription.components)
        if term is not None and period > term:
            subscription.status = "ended"
            continue
        exists = db.session.scalar(
            select(SubscriptionCharge.id).where(
                SubscriptionCharge.subscription_id == subscription.id,
                SubscriptionCharge.period == period,
            )
        )
        if exists is None:
            db.session.add(
                SubscriptionCharge(
                    subscription=subscription,
                    period=period,
                    due_on=on,
                    amount=monthly_amount(subscription.components, period),
                    next_attempt_on=on,
                )
            )
    try:
        db.session.commit()
    except IntegrityError:
        # Another run raised the same month's charge first; it stands.
        db.session.rollback()


def _attempt(charge_id: int, on: date, dunning_days: list[int], report) -> None:
    charge = db.session.scalar(
        select(SubscriptionCharge)
        .where(SubscriptionCharge.id == charge_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if charge.status not in ("due", "retrying") or charge.next_attempt_on > on:
        db.session.commit()
        return

    subscription = charge.subscription
    attempt = charge.attempts + 1
    order_id = f"sub-{subscription.id}-p{charge.period}"
    payment = db.session.scalar(
        select(Payment).where(Payment.order_id == order_id, Payment.attempt == attempt)
    )
    if payment is None:
        payment = Payment(
            order_id=order_id,
            attempt=attempt,
            customer_id=subscription.customer_id,
            amount=charge.amount,
            currency=subscription.currency,
            provider=subscription.provider,
            token=subscription.token,
        )
        db.session.add(payment)
    db.session.commit()

    try:
        payment = service.authorise_and_capture(payment.id)
    except ProviderUnavailable:
        report.waiting += 1
        return

    _record_outcome(charge.id, payment, attempt, dunning_days, report)


def _record_outcome(charge_id, payment: Payment, attempt: int, dunning_days, report):
    charge = db.session.scalar(
        select(SubscriptionCharge)
        .where(SubscriptionCharge.id == charge_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if charge.attempts >= attempt:
        # A concurrent run recorded this attempt's outcome already.
        db.session.commit()
        return

    subscription = charge.subscription
    charge.attempts = attempt
    charge.payment_id = payment.id
    event = {
        "subscription_id": subscription.id,
        "order_id": subscription.order_id,
        "line_id": subscription.line_id,
        "period": charge.period,
        "amount": charge.amount,
        "currency": subscription.currency,
        "attempt": attempt,
    }

    if payment.status == PaymentStatus.CAPTURED:
        charge.status = "paid"
        emit(db.session, "payment.subscription_charged", event)
        report.charged.append((subscription.id, charge.period, charge.amount))
    elif attempt > len(dunning_days):
        charge.status = "failed"
        charge.decline_code = payment.decline_code
        subscription.status = "suspended"
        emit(db.session, "payment.subscription_suspended", event)
        report.suspended.append(subscription.id)
        log.warning(
            "subscription_suspended", subscription_id=subscription.id, attempts=attempt
        )
    else:
        charge.status = "retrying"
        charge.decline_code = payment.decline_code
        charge.next_attempt_on = charge.due_on + timedelta(
            days=dunning_days[attempt - 1]
        )
        emit(
            db.session,
            "payment.subscription_charge_failed",
            {**event, "next_attempt_on": charge.next_attempt_on.isoformat()},
        )
        report.failed.append((subscription.id, charge.period, payment.decline_code))
    db.session.commit()
