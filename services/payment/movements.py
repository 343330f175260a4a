"""Capture, void and refund: each under the payment's row lock, each ledgered.

Every movement's provider key is derived from the order, the attempt and the
movement's sequence number (counted from the ledger), so a retry after a
time-out sends the same key and the provider moves the money once.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select

from services.payment import gateways
from services.payment.errors import (
    AmountTooLarge,
    PaymentNotFound,
    PaymentStateConflict,
    ProviderRefused,
    ProviderUnavailable,
)
from services.payment.events import emit
from services.payment.models import LedgerEntry, Payment, PaymentStatus, db
from services.payment.providers import (
    ProviderError,
    ProviderTimeout,
    provider_idempotency_key,
)
from shared.tenancy.context import require_tenant

log = structlog.get_logger(__name__)

S = PaymentStatus


def locked_payment(payment_id: str) -> Payment:
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise PaymentNotFound(f"no payment {payment_id}")
    return payment


def capture(
    payment_id: str, amount: int | None, idempotency_key: str | None = None
) -> Payment:
    payment = locked_payment(payment_id)
    if payment.status != S.AUTHORISED:
        db.session.rollback()
        raise PaymentStateConflict(f"a {payment.status} payment cannot be captured")
    amount = payment.amount if amount is None else amount
    if amount > payment.amount:
        db.session.rollback()
        raise AmountTooLarge(
            f"capture of {amount} is more than the {payment.amount} authorised",
            errors=[{"field": "amount", "location": "json", "message": "Too large."}],
        )

    capture_locked(payment, amount, idempotency_key)
    db.session.commit()
    log.info("payment_captured", payment_id=payment.id, amount=amount)
    return payment


def capture_locked(
    payment: Payment, amount: int, idempotency_key: str | None = None
) -> None:
    provider = gateways.provider_for(payment.provider)
    key = movement_key(payment, "capture", 0)
    movement = provider_call(
        lambda: provider.capture(
            payment.provider_reference, amount, payment.currency, key
        )
    )
    payment.captured_amount = amount
    payment.status = S.CAPTURED if amount == payment.amount else S.PARTIALLY_CAPTURED
    record_movement(payment, "capture", amount, movement.reference)
    answer = {
        **payment_payload(payment),
        "captured": amount,
        "idempotency_key": idempotency_key or f"{payment.order_id}:capture",
    }
    emit(db.session, "payment.captured", answer)


def void(payment_id: str, idempotency_key: str | None = None) -> Payment:
    payment = locked_payment(payment_id)
    if payment.status != S.AUTHORISED:
        db.session.rollback()
        raise PaymentStateConflict(f"a {payment.status} payment cannot be voided")

    provider = gateways.provider_for(payment.provider)
    key = movement_key(payment, "void", 0)
    movement = provider_call(lambda: provider.void(payment.provider_reference, key))
    payment.status = S.VOIDED
    record_movement(payment, "void", payment.amount, movement.reference)
    emit(
        db.session,
        "payment.voided",
        {
            **payment_payload(payment),
            "outcome": "voided",
            "idempotency_key": idempotency_key or void_key(payment),
        },
    )
    db.session.commit()
    log.info("payment_voided", payment_id=payment.id)
    return payment


def refund(
    payment_id: str, amount: int | None, idempotency_key: str | None = None
) -> Payment:
    """Refund once per ``idempotency_key`` (the order saga's refund key).

    With a key, the provider sees a key derived from it, so a repeated
    command gets the same provider refund back and records nothing more.
    """
    payment = locked_payment(payment_id)
    refundable_states = (S.CAPTURED, S.PARTIALLY_CAPTURED, S.PARTIALLY_REFUNDED)
    if payment.status not in refundable_states:
        db.session.rollback()
        raise PaymentStateConflict(f"a {payment.status} payment cannot be refunded")
    refundable = payment.captured_amount - payment.refunded_amount
    amount = refundable if amount is None else amount
    if amount > refundable:
        db.session.rollback()
        raise AmountTooLarge(
            f"refund of {amount} is more than the {refundable} still refundable",
            errors=[{"field": "amount", "location": "json", "message": "Too large."}],
        )

    sequence = sum(1 for entry in payment.ledger if entry.kind == "refund")
    provider = gateways.provider_for(payment.provider)
    key = movement_key(payment, "refund", sequence)
    if idempotency_key:
        key = movement_key(payment, f"refund[{idempotency_key}]", 0)
    movement = provider_call(
        lambda: provider.refund(
            payment.provider_reference, amount, payment.currency, key
        )
    )
    if any(
        e.kind == "refund" and e.provider_reference == movement.reference
        for e in payment.ledger
    ):
        db.session.rollback()
        return payment  # the provider answered a repeat: already recorded
    payment.refunded_amount += amount
    fully = payment.refunded_amount == payment.captured_amount
    payment.status = S.REFUNDED if fully else S.PARTIALLY_REFUNDED
    record_movement(payment, "refund", amount, movement.reference)
    answer = {**payment_payload(payment), "refunded": amount}
    if idempotency_key:
        answer["idempotency_key"] = idempotency_key
    emit(db.session, "payment.refunded", answer)
    db.session.commit()
    log.info("payment_refunded", payment_id=payment.id, amount=amount)
    return payment


def movement_key(payment: Payment, operation: str, sequence: int) -> str:
    return provider_idempotency_key(
        require_tenant().id, payment.order_id, payment.attempt, operation, sequence
    )


def provider_call(call):
    try:
        return call()
    except ProviderTimeout:
        db.session.rollback()
        raise ProviderUnavailable(
            "the provider did not answer in time; retry the same request"
        ) from None
    except ProviderError as exc:
        db.session.rollback()
        raise ProviderRefused(f"the provider refused: {exc.code}") from None


def record_movement(payment: Payment, kind: str, amount: int, reference: str) -> None:
    db.session.add(
        LedgerEntry(
            payment=payment,
            kind=kind,
            amount=amount,
            currency=payment.currency,
            provider=payment.provider,
            provider_reference=reference,
        )
    )


def authorisation_key(payment: Payment) -> str:
    """The order saga's key for this attempt (SAGA.md derives it, never random)."""
    return f"{payment.order_id}:auth:{payment.attempt}"


def void_key(payment: Payment) -> str:
    return f"{payment.order_id}:void:{payment.attempt}"


def payment_payload(payment: Payment) -> dict:
    """The fields every payment answer carries (order saga contract, SAGA.md)."""
    return {
        "payment_id": payment.id,
        "authorisation_id": payment.id,
        "idempotency_key": authorisation_key(payment),
        "mandate_id": None,
        "reason": payment.decline_code,
        "order_id": payment.order_id,
        "attempt": payment.attempt,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "provider": payment.provider,
        "decline_code": payment.decline_code,
    }
