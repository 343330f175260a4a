"""Events the payment service publishes and the handlers of those it consumes.

Every publication goes through ``emit``. It uses ``shared.events.publish`` (the
transactional outbox) when that module is present; until the event bus is
merged into this branch it writes the same envelope fields to the service's
own ``outgoing_events`` table, in the same transaction as the state change.
"""

from __future__ import annotations

from typing import Any

PUBLISHES: tuple[str, ...] = (
    "payment.authorised",
    "payment.declined",
    "payment.captured",
    "payment.voided",
    "payment.refunded",
    "payment.dispute_opened",
    "payment.dispute_closed",
    "payment.subscription_charged",
    "payment.subscription_charge_failed",
    "payment.subscription_suspended",
)


def emit(session, event_type: str, payload: dict[str, Any], version: int = 1) -> None:
    try:
        from shared.events import publish
    except ImportError:
        publish = None

    if publish is not None:
        publish(session, event_type, payload, version=version)
        return

    from services.payment.models import OutgoingEvent

    session.add(OutgoingEvent(type=event_type, version=version, payload=payload))


# -- consumed events ---------------------------------------------------------
#
# The order saga (issue 7) drives payment by events. The payloads below are
# this service's proposal for that contract; each is checked with the same
# schema as the matching HTTP endpoint. Handlers run inside the envelope's
# tenant and one transaction with the inbox row (see the event API); they
# raise to be retried only when retrying can help (the provider timed out).

try:
    from shared.events import EventHandlers
except ImportError:  # the event bus is not merged into this branch yet
    EventHandlers = None

CONSUMES: tuple[str, ...] = (
    "order.payment_requested",
    "order.capture_requested",
    "order.cancelled",
    "order.refund_requested",
    "order.line_activated",
)


def on_payment_requested(envelope, session) -> None:
    """{order_id, attempt, amount, currency, provider, payment_token |
    payment_method_id, customer {id, email, device_id}, billing_country, ...}"""
    from services.payment import service
    from services.payment.errors import (
        AuthenticationRequiredProblem,
        FraudDeclined,
        PaymentDeclined,
    )
    from services.payment.schemas import AuthorisationRequestSchema

    data = AuthorisationRequestSchema().load(envelope.payload)
    customer = data.pop("customer")
    command = service.AuthoriseCommand(
        **data,
        customer_id=customer["id"],
        email=customer.get("email"),
        device_id=customer.get("device_id"),
    )
    try:
        service.authorise(command)
    except (PaymentDeclined, FraudDeclined, AuthenticationRequiredProblem):
        pass  # recorded, and payment.declined went out with the payment


def on_capture_requested(envelope, session) -> None:
    """{order_id, attempt, amount (optional: all)}"""
    from services.payment import movements

    payment = _payment_of(envelope.payload)
    if payment is not None and payment.status == "authorised":
        movements.capture(payment.id, envelope.payload.get("amount"))


def on_order_cancelled(envelope, session) -> None:
    """{order_id}: void every open authorisation of the order."""
    from sqlalchemy import select

    from services.payment import movements
    from services.payment.models import Payment, db

    open_payments = db.session.scalars(
        select(Payment.id).where(
            Payment.order_id == envelope.payload["order_id"],
            Payment.status == "authorised",
        )
    ).all()
    for payment_id in open_payments:
        movements.void(payment_id)


def on_refund_requested(envelope, session) -> None:
    """{order_id, attempt, amount (optional: all that is left)}"""
    from services.payment import movements

    payment = _payment_of(envelope.payload)
    if payment is not None:
        movements.refund(payment.id, envelope.payload.get("amount"))


def on_line_activated(envelope, session) -> None:
    """{order_id, line_id, customer_id, provider, token, currency, activated_on,
    components [{code, kind, amount, term_months, discounts}]}"""
    from sqlalchemy import select

    from services.payment.billing import start_subscription
    from services.payment.models import Subscription, db
    from services.payment.schemas import SubscriptionRequestSchema

    data = SubscriptionRequestSchema().load(envelope.payload)
    exists = db.session.scalar(
        select(Subscription.id).where(
            Subscription.order_id == data["order_id"],
            Subscription.line_id == data["line_id"],
        )
    )
    if exists is None:
        start_subscription(**data)


def _payment_of(payload: dict):
    from sqlalchemy import select

    from services.payment.models import Payment, db

    return db.session.scalar(
        select(Payment).where(
            Payment.order_id == payload["order_id"],
            Payment.attempt == int(payload.get("attempt", 1)),
        )
    )


HANDLERS = {
    "order.payment_requested": on_payment_requested,
    "order.capture_requested": on_capture_requested,
    "order.cancelled": on_order_cancelled,
    "order.refund_requested": on_refund_requested,
    "order.line_activated": on_line_activated,
}

if EventHandlers is not None:
    handlers = EventHandlers("payment")
    for _routing_key, _handler in HANDLERS.items():
        handlers.on(_routing_key)(_handler)
