"""The payment service's use cases; each owns its transaction.

Authorisation in three steps: claim the (order, attempt) row, call the
provider with a key derived from that row while holding its lock, record the
outcome. A second caller for the same attempt waits on the lock and then sees
the outcome; a caller after a provider time-out finds the row still pending
and calls again with the same key, which the provider answers with the first
result. Either way the provider charges once.

Trade-off: the row lock is held across the provider call. That serialises
calls for one order attempt only, which is what we want.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.payment import gateways
from services.payment.errors import (
    AuthenticationRequiredProblem,
    FraudDeclined,
    PaymentAttemptReused,
    PaymentDeclined,
    PaymentMethodNotFound,
    PaymentNotFound,
    PaymentStateConflict,
    ProviderRefused,
    ProviderUnavailable,
)
from services.payment.events import emit
from services.payment.fraud import FraudThresholds
from services.payment.models import (
    BrandPaymentSettings,
    Payment,
    PaymentMethod,
    PaymentStatus,
    db,
)
from services.payment.movements import (
    capture_locked,
    locked_payment,
    payment_payload,
    record_movement,
)
from services.payment.providers import (
    AuthenticationRequired,
    AuthorisationRequest,
    ProviderDeclined,
    ProviderError,
    ProviderTimeout,
    provider_idempotency_key,
)
from services.payment.screening import screen_authorisation
from shared.tenancy.context import require_tenant

log = structlog.get_logger(__name__)

S = PaymentStatus


@dataclass(frozen=True)
class AuthoriseCommand:
    order_id: str
    amount: int
    currency: str
    provider: str
    customer_id: str
    attempt: int = 1
    payment_token: str | None = None
    payment_method_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    address_key: str | None = None
    billing_country: str | None = None
    delivery_country: str | None = None


def get_payment(payment_id: str) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound(f"no payment {payment_id}")
    return payment


def save_payment_method(
    customer_id: str,
    provider: str,
    token: str,
    card_brand: str | None,
    last4: str | None,
    exp_month: int | None,
    exp_year: int | None,
) -> PaymentMethod:
    gateways.provider_account(provider)
    method = PaymentMethod(
        customer_id=customer_id,
        provider=provider,
        token=token,
        card_brand=card_brand,
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
    )
    db.session.add(method)
    db.session.commit()
    return method


# -- authorisation ---------------------------------------------------------


def authorise(command: AuthoriseCommand) -> Payment:
    """Authorise once per (order, attempt); raise the problem for a refusal."""
    token, method_id = _token_for(command)
    payment = _claim_attempt(command, token, method_id)

    if payment.status == S.PENDING:
        payment = _authorise_pending(payment.id, capture=False)

    _refuse_unless_authorised(payment)
    return payment


def _token_for(command: AuthoriseCommand) -> tuple[str, str | None]:
    if command.payment_method_id:
        method = db.session.get(PaymentMethod, command.payment_method_id)
        if method is None or method.customer_id != command.customer_id:
            raise PaymentMethodNotFound(
                "no such payment method for this customer",
                errors=[
                    {
                        "field": "payment_method_id",
                        "location": "json",
                        "message": "Unknown payment method.",
                    }
                ],
            )
        return method.token, method.id
    return command.payment_token or "", None


def _claim_attempt(command: AuthoriseCommand, token: str, method_id: str | None):
    existing = _attempt(command.order_id, command.attempt)
    if existing is not None:
        _check_same_attempt(existing, command, token)
        return existing

    gateways.provider_account(command.provider)
    verdict = screen_authorisation(command)
    payment = Payment(
        order_id=command.order_id,
        attempt=command.attempt,
        customer_id=command.customer_id,
        amount=command.amount,
        currency=command.currency,
        provider=command.provider,
        token=token,
        payment_method_id=method_id,
        fraud_score=verdict.score,
        fraud_decision=verdict.decision,
        fraud_reasons=verdict.reasons,
        status=S.DECLINED if verdict.decision == "decline" else S.PENDING,
        decline_code="fraud_declined" if verdict.decision == "decline" else None,
    )
    db.session.add(payment)
    if payment.status == S.DECLINED:
        emit(db.session, "payment.declined", payment_payload(payment))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = _attempt(command.order_id, command.attempt)
        _check_same_attempt(existing, command, token)
        return existing
    return payment


def _attempt(order_id: str, attempt: int) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.attempt == attempt)
        .execution_options(populate_existing=True)
    )


def _check_same_attempt(payment: Payment, command: AuthoriseCommand, token: str):
    first = (payment.amount, payment.currency, payment.provider, payment.token)
    if first != (command.amount, command.currency, command.provider, token):
        raise PaymentAttemptReused(
            f"order {command.order_id} attempt {command.attempt} was first sent "
            "with another amount, currency, provider or payment method; "
            "use a new attempt number"
        )


def _authorise_pending(payment_id: str, *, capture: bool) -> Payment:
    """Call the provider for a pending attempt, under the attempt's row lock."""
    payment = locked_payment(payment_id)
    if payment.status != S.PENDING:
        db.session.commit()
        return payment

    provider = gateways.provider_for(payment.provider)
    return _settle_authorisation(
        payment, provider, lambda: provider.authorise(_request_for(payment)), capture
    )


def complete_authentication(payment_id: str) -> Payment:
    """After the shopper's 3-D Secure step: authorise, or say what is still due."""
    payment = locked_payment(payment_id)
    if payment.status != S.REQUIRES_AUTHENTICATION:
        db.session.rollback()
        raise PaymentStateConflict(
            f"a {payment.status} payment is not waiting for 3-D Secure"
        )

    provider = gateways.provider_for(payment.provider)
    payment = _settle_authorisation(
        payment,
        provider,
        lambda: provider.complete_authentication(
            payment.provider_reference, _request_for(payment)
        ),
        capture=False,
    )
    _refuse_unless_authorised(payment)
    return payment


def _request_for(payment: Payment) -> AuthorisationRequest:
    return AuthorisationRequest(
        amount=payment.amount,
        currency=payment.currency,
        token=payment.token,
        customer_id=payment.customer_id,
        order_id=payment.order_id,
        idempotency_key=provider_idempotency_key(
            require_tenant().id, payment.order_id, payment.attempt, "authorise"
        ),
    )


def _settle_authorisation(payment: Payment, provider, call, capture: bool) -> Payment:
    """Run one provider authorisation call and record whatever it answered."""
    try:
        result = call()
    except ProviderTimeout:
        db.session.rollback()
        log.warning("provider_timeout", payment_id=payment.id, provider=provider.name)
        raise ProviderUnavailable(
            "the provider did not answer in time; retry the same request"
        ) from None
    except AuthenticationRequired as exc:
        payment.status = S.REQUIRES_AUTHENTICATION
        payment.provider_reference = exc.reference
        db.session.commit()
        return payment
    except ProviderDeclined as exc:
        payment.status = S.DECLINED
        payment.decline_code = exc.code
        emit(db.session, "payment.declined", payment_payload(payment))
        db.session.commit()
        log.info("payment_declined", payment_id=payment.id, decline_code=exc.code)
        return payment
    except ProviderError as exc:
        db.session.rollback()
        raise ProviderRefused(f"the provider refused: {exc.code}") from None

    payment.status = S.AUTHORISED
    payment.provider_reference = result.reference
    record_movement(payment, "authorisation", payment.amount, result.reference)
    emit(db.session, "payment.authorised", payment_payload(payment))
    if capture:
        capture_locked(payment, payment.amount)
    db.session.commit()
    log.info(
        "payment_authorised",
        payment_id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        provider=payment.provider,
    )
    return payment


def _refuse_unless_authorised(payment: Payment) -> None:
    if payment.status == S.DECLINED and payment.decline_code == "fraud_declined":
        raise FraudDeclined(
            "the payment was declined by fraud screening",
            payment_id=payment.id,
            reasons=payment.fraud_reasons,
        )
    if payment.status == S.DECLINED:
        raise PaymentDeclined(
            f"the provider declined the payment ({payment.decline_code})",
            payment_id=payment.id,
            decline_code=payment.decline_code,
        )
    if payment.status == S.REQUIRES_AUTHENTICATION:
        raise AuthenticationRequiredProblem(
            "the card issuer asks for 3-D Secure; once the shopper has passed it, "
            "POST to this payment's authentication-results",
            payment_id=payment.id,
            provider_reference=payment.provider_reference,
        )


def authorise_and_capture(payment_id: str) -> Payment:
    """Charge a pending payment in full (a subscription month); no HTTP, no fraud."""
    return _authorise_pending(payment_id, capture=True)


def configure_brand_payments(
    *,
    billing_day: int | None = None,
    dunning_days: list[int] | None = None,
    fraud: dict | None = None,
) -> BrandPaymentSettings:
    """Set the brand's billing day, dunning schedule or fraud thresholds."""
    settings = db.session.scalar(select(BrandPaymentSettings))
    if settings is None:
        settings = BrandPaymentSettings(billing_day=1, dunning_days=[3, 7, 14])
        db.session.add(settings)
    if billing_day is not None:
        settings.billing_day = billing_day
    if dunning_days is not None:
        settings.dunning_days = list(dunning_days)
    if fraud is not None:
        settings.fraud = {**FraudThresholds.from_settings(fraud).__dict__}
    db.session.commit()
    return settings
