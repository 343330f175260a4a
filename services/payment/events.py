"""Events the payment service publishes and the handlers of those it consumes.

Every publication goes through ``emit`` into the transactional outbox
(``shared.events.publish``), in the same transaction as the state change.

The order saga drives payment by commands whose payloads are fixed in
``services/order/SAGA.md``: every command gets an answer event naming the
``order_id`` and echoing the command's ``idempotency_key``, also a repeat
(answered again with the same outcome) and a "nothing to do". A provider
that fails or times out on a capture, void or refund is answered with
``payment.<command>_failed``: the order service re-sends with backoff and
then parks the order for an operator. Only an authorisation that timed out
is raised, so the bus retries it with the same provider key.
"""

from __future__ import annotations

from typing import Any

import structlog

from shared.events import EventHandlers, publish

log = structlog.get_logger(__name__)

PUBLISHES: tuple[str, ...] = (
    "payment.authorised",
    "payment.declined",
    "payment.captured",
    "payment.capture_failed",
    "payment.voided",
    "payment.void_failed",
    "payment.refunded",
    "payment.refund_failed",
    "payment.dispute_opened",
    "payment.dispute_closed",
    "payment.subscription_charged",
    "payment.subscription_charge_failed",
    "payment.subscription_suspended",
)
CONSUMES: tuple[str, ...] = (
    "order.payment_requested",
    "order.capture_requested",
    "order.void_requested",
    "order.refund_requested",
    "order.line_activated",
)


def emit(session, event_type: str, payload: dict[str, Any], version: int = 1) -> None:
    publish(session, event_type, payload, version=version)


handlers = EventHandlers("payment")


@handlers.on("order.payment_requested")
def on_payment_requested(envelope, session) -> None:
    """Authorise ``amount`` with ``payment_method {provider, token}``.

    A repeat of a settled attempt is answered again with its outcome; a
    3-D Secure challenge cannot be met inside the saga, so it is declined.
    """
    from services.payment import service
    from services.payment.errors import (
        AuthenticationRequiredProblem,
        FraudDeclined,
        PaymentDeclined,
        ProviderUnavailable,
    )
    from services.payment.schemas import PaymentRequestedSchema

    data = PaymentRequestedSchema().load(envelope.payload)
    customer = data["customer"]
    method = data["payment_method"]
    before = _payment_of(data["order_id"], data["attempt"])
    command = service.AuthoriseCommand(
        order_id=data["order_id"],
        attempt=data["attempt"],
        amount=data["amount"],
        currency=data["currency"],
        provider=method["provider"],
        payment_token=method["token"],
        customer_id=customer.get("id") or f"guest:{data['order_id']}",
        email=customer.get("email"),
    )

    try:
        service.authorise(command)
    except (PaymentDeclined, FraudDeclined, AuthenticationRequiredProblem):
        pass  # recorded; a first decline went out with the payment
    except ProviderUnavailable:
        # The pending attempt is already committed (with the inbox row), so
        # the bus would see a redelivery as a duplicate: ask again here, with
        # the same provider key, which can never charge twice.
        _settle_pending(_payment_of(data["order_id"], data["attempt"]))

    payment = _payment_of(data["order_id"], data["attempt"])
    if payment.status == "requires_authentication":
        _answer(session, "payment.declined", payment, reason="authentication_required")
    elif before is not None and before.status != "pending":
        declined = payment.status == "declined"
        _answer(
            session, "payment.declined" if declined else "payment.authorised", payment
        )


@handlers.on("order.capture_requested")
def on_capture_requested(envelope, session) -> None:
    """{order_id, attempt, authorisation_id, amount, currency, idempotency_key}"""
    from services.payment import movements

    payload = envelope.payload
    key = payload["idempotency_key"]
    payment = _payment_for(payload)
    if payment is None:
        _failed(session, "payment.capture_failed", payload, "authorisation_not_found")
    elif payment.status == "authorised":
        _or_failed(
            session,
            "payment.capture_failed",
            payload,
            lambda: movements.capture(payment.id, payload.get("amount"), key),
        )
    elif payment.status in ("captured", "partially_captured"):
        _answer(
            session,
            "payment.captured",
            payment,
            captured=payment.captured_amount,
            idempotency_key=key,
        )
    else:
        _failed(session, "payment.capture_failed", payload, f"payment_{payment.status}")


@handlers.on("order.void_requested")
def on_void_requested(envelope, session) -> None:
    """Void by ``authorisation_id``, or by ``authorisation_key`` when the
    authorisation's answer never reached the order service."""
    from services.payment import movements
    from services.payment.errors import ProviderUnavailable

    payload = envelope.payload
    key = payload["idempotency_key"]
    payment = _payment_for(payload)
    if payment is not None and payment.status == "pending":
        # The authorisation's answer was lost (a provider time-out): learn
        # what the provider did, with the same key, so nothing stays open.
        try:
            payment = _settle_pending(payment)
        except ProviderUnavailable:
            _failed(session, "payment.void_failed", payload, "provider_timeout")
            return
    if payment is None:
        emit(
            session,
            "payment.voided",
            {
                "order_id": payload["order_id"],
                "attempt": payload.get("attempt"),
                "authorisation_id": None,
                "outcome": "not_found",
                "idempotency_key": key,
            },
        )
    elif payment.status == "authorised":
        _or_failed(
            session,
            "payment.void_failed",
            payload,
            lambda: movements.void(payment.id, key),
        )
    else:
        _answer(
            session,
            "payment.voided",
            payment,
            outcome=payment.status,
            idempotency_key=key,
        )


@handlers.on("order.refund_requested")
def on_refund_requested(envelope, session) -> None:
    """{order_id, attempt, authorisation_id, amount, reason, idempotency_key}"""
    from services.payment import movements

    payload = envelope.payload
    key = payload["idempotency_key"]
    payment = _payment_for(payload)
    if payment is None:
        _failed(session, "payment.refund_failed", payload, "payment_not_found")
        return
    if payment.status == "refunded":
        _answer(
            session,
            "payment.refunded",
            payment,
            refunded=payload.get("amount"),
            idempotency_key=key,
        )
        return
    _or_failed(
        session,
        "payment.refund_failed",
        payload,
        lambda: movements.refund(payment.id, payload.get("amount"), key),
    )


@handlers.on("order.line_activated")
def on_line_activated(envelope, session) -> None:
    """Start the line's subscription on ``payment_method`` (once per line)."""
    from sqlalchemy import select

    from services.payment.billing import start_subscription
    from services.payment.models import Subscription, db
    from services.payment.schemas import SubscriptionRequestSchema

    payload = dict(envelope.payload)
    method = payload.pop("payment_method", None) or {}
    payload.setdefault("provider", method.get("provider"))
    payload.setdefault("token", method.get("token"))
    payload["customer_id"] = (
        payload.get("customer_id") or f"guest:{payload['order_id']}"
    )
    known = set(SubscriptionRequestSchema().fields)
    data = SubscriptionRequestSchema().load(
        {k: v for k, v in payload.items() if k in known}
    )
    exists = db.session.scalar(
        select(Subscription.id).where(
            Subscription.order_id == data["order_id"],
            Subscription.line_id == data["line_id"],
        )
    )
    if exists is None:
        start_subscription(**data)


# -- helpers -------------------------------------------------------------------


def _payment_of(order_id: str, attempt: int):
    from sqlalchemy import select

    from services.payment.models import Payment, db

    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.attempt == int(attempt))
        .execution_options(populate_existing=True)
    )


def _payment_for(payload: dict):
    """The payment a command names: by authorisation id, else by attempt."""
    from services.payment.models import Payment, db

    if payload.get("authorisation_id"):
        payment = db.session.get(Payment, payload["authorisation_id"])
        if payment is not None and payment.order_id == payload["order_id"]:
            return payment
    return _payment_of(payload["order_id"], payload.get("attempt") or 1)


def _settle_pending(payment):
    """Ask the provider again about a pending attempt, a few times, same key."""
    from tenacity import (
        retry,
        retry_if_exception_type,
        stop_after_attempt,
        wait_exponential,
    )

    from services.payment import service
    from services.payment.errors import ProviderUnavailable

    @retry(
        retry=retry_if_exception_type(ProviderUnavailable),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def settle():
        return service._authorise_pending(payment.id, capture=False)

    return settle()


def _answer(session, event_type: str, payment, **fields: Any) -> None:
    from services.payment.movements import payment_payload

    emit(session, event_type, {**payment_payload(payment), **fields})


def _failed(session, event_type: str, payload: dict, reason: str) -> None:
    log.warning(
        event_type.replace(".", "_"), order_id=payload["order_id"], reason=reason
    )
    emit(
        session,
        event_type,
        {
            "order_id": payload["order_id"],
            "attempt": payload.get("attempt"),
            "idempotency_key": payload["idempotency_key"],
            "reason": reason,
        },
    )


def _or_failed(session, event_type: str, payload: dict, movement) -> None:
    """Run a money movement; a provider failure becomes ``*_failed``."""
    from services.payment.errors import ProviderRefused, ProviderUnavailable

    try:
        movement()
    except ProviderUnavailable:
        _failed(session, event_type, payload, "provider_timeout")
    except ProviderRefused as exc:
        _failed(session, event_type, payload, str(exc)[:200])
