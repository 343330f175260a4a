"""Provider webhooks: verified on the raw body, inside a time window, once.

The brand comes from the Host, so only that brand's secret is ever tried: a
body signed with another brand's secret fails like a forgery. The window is
checked both ways, because the Stripe SDK's tolerance accepts a timestamp
from the future. Each provider event id is recorded in the same transaction
that applies it; a duplicate finds the row and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import stripe as stripe_sdk
import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.payment import gateways
from services.payment.errors import ProviderNotEnabled, WebhookRefused
from services.payment.events import emit
from services.payment.models import (
    Dispute,
    LedgerEntry,
    Payment,
    PaymentStatus,
    WebhookEvent,
    db,
)

log = structlog.get_logger(__name__)

TOLERANCE_S = 300
SANDBOX_HEADER = "Sandbox-Signature"
STRIPE_HEADER = "Stripe-Signature"


def sign_sandbox(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Sandbox-Signature`` header value for a body (the sandbox's scheme)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def receive(provider: str, payload: bytes, headers: Mapping[str, str]) -> dict:
    if provider not in ("stripe", "sandbox"):
        raise ProviderNotEnabled(f"{provider} sends no webhooks")
    secret = gateways.provider_credentials(provider).get("webhook_secret")
    if not secret:
        raise WebhookRefused("no webhook secret is configured for this provider")

    if provider == "stripe":
        event = _verified_stripe(payload, headers.get(STRIPE_HEADER, ""), secret)
    else:
        event = _verified_sandbox(payload, headers.get(SANDBOX_HEADER, ""), secret)

    return _apply_once(provider, event)


def _timestamp(header: str) -> int:
    for part in header.split(","):
        name, _, value = part.partition("=")
        if name.strip() == "t" and value.strip().isdigit():
            return int(value)
    raise WebhookRefused("the signature header has no timestamp")


def _inside_window(stamp: int) -> None:
    drift = stamp - time.time()
    if abs(drift) > TOLERANCE_S:
        log.warning("webhook_refused", reason="timestamp", drift_s=int(drift))
    if drift > TOLERANCE_S:
        raise WebhookRefused("the webhook's timestamp is in the future")
    if drift < -TOLERANCE_S:
        raise WebhookRefused("the webhook's timestamp is too old (replay?)")


def _verified_stripe(payload: bytes, header: str, secret: str) -> dict:
    _inside_window(_timestamp(header))
    try:
        event = stripe_sdk.Webhook.construct_event(
            payload, header, secret, tolerance=TOLERANCE_S
        )
    except (stripe_sdk.SignatureVerificationError, ValueError):
        log.warning("webhook_refused", provider="stripe", reason="signature")
        raise WebhookRefused("the webhook signature does not match") from None
    return event.to_dict()


def _verified_sandbox(payload: bytes, header: str, secret: str) -> dict:
    stamp = _timestamp(header)
    _inside_window(stamp)
    expected = sign_sandbox(payload, secret, stamp).split("v1=")[1]
    given = [p.split("=", 1)[1] for p in header.split(",") if p.startswith("v1=")]
    if not any(hmac.compare_digest(expected, value) for value in given):
        log.warning("webhook_refused", provider="sandbox", reason="signature")
        raise WebhookRefused("the webhook signature does not match")
    try:
        return json.loads(payload)
    except ValueError:
        raise WebhookRefused("the webhook body is not JSON") from None


def _apply_once(provider: str, event: dict) -> dict:
    event_id, event_type = str(event.get("id", "")), str(event.get("type", ""))
    if not event_id or not event_type:
        raise WebhookRefused("the event has no id or type")

    db.session.add(
        WebhookEvent(provider=provider, event_id=event_id, event_type=event_type)
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        log.info("webhook_duplicate", provider=provider, event_id=event_id)
        return {"status": "duplicate", "event_id": event_id}

    obj = (event.get("data") or {}).get("object") or {}
    if event_type in ("charge.dispute.created", "dispute.created"):
        _open_dispute(provider, obj)
    elif event_type in ("charge.dispute.closed", "dispute.closed"):
        _close_dispute(provider, obj)
    elif event_type in ("payment_intent.canceled", "authorisation.expired"):
        _release_authorisation(obj)

    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"status": "duplicate", "event_id": event_id}
    log.info("webhook_applied", provider=provider, event_id=event_id, type=event_type)
    return {"status": "applied", "event_id": event_id}


def _payment_for(obj: dict) -> Payment | None:
    reference = obj.get("payment_intent") or obj.get("payment_reference")
    if obj.get("object") == "payment_intent":
        reference = obj.get("id")
    if not reference:
        return None
    return db.session.scalar(
        select(Payment).where(Payment.provider_reference == reference)
    )


def _release_authorisation(obj: dict) -> None:
    """The provider cancelled or expired an uncaptured authorisation."""
    payment = _payment_for(obj)
    if payment is None or payment.status != PaymentStatus.AUTHORISED:
        return
    payment.status = PaymentStatus.VOIDED
    db.session.add(
        LedgerEntry(
            payment=payment,
            kind="void",
            amount=payment.amount,
            currency=payment.currency,
            provider=payment.provider,
            provider_reference=payment.provider_reference,
        )
    )
    emit(
        db.session,
        "payment.voided",
        {
            "payment_id": payment.id,
            "order_id": payment.order_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "reason": "released_by_provider",
        },
    )


def _open_dispute(provider: str, obj: dict) -> None:
    payment = _payment_for(obj)
    dispute = Dispute(
        provider=provider,
        dispute_id=str(obj.get("id")),
        payment_id=payment.id if payment else None,
        amount=int(obj.get("amount", 0)),
        currency=str(obj.get("currency", "")).upper()[:3],
        reason=str(obj.get("reason", "unknown"))[:60],
        status=str(obj.get("status", "needs_response"))[:30],
    )
    db.session.add(dispute)
    emit(
        db.session,
        "payment.dispute_opened",
        {
            "dispute_id": dispute.dispute_id,
            "payment_id": dispute.payment_id,
            "order_id": payment.order_id if payment else None,
            "amount": dispute.amount,
            "currency": dispute.currency,
            "reason": dispute.reason,
        },
    )


def _close_dispute(provider: str, obj: dict) -> None:
    dispute = db.session.scalar(
        select(Dispute).where(
            Dispute.provider == provider, Dispute.dispute_id == str(obj.get("id"))
        )
    )
    if dispute is None:
        return
    dispute.status = str(obj.get("status", "closed"))[:30]
    payment = (
        db.session.get(Payment, dispute.payment_id) if dispute.payment_id else None
    )
    if dispute.status == "lost" and payment is not None:
        db.session.add(
            LedgerEntry(
                payment=payment,
                kind="chargeback",
                amount=dispute.amount,
                currency=dispute.currency,
                provider=provider,
                provider_reference=dispute.dispute_id,
            )
        )
    emit(
        db.session,
        "payment.dispute_closed",
        {"dispute_id": dispute.dispute_id, "status": dispute.status},
    )
