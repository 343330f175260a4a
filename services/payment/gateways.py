"""Building a brand's provider from its stored account settings."""

from __future__ import annotations

import structlog
from sqlalchemy import func, select

from services.payment.credentials import (
    masked_credentials,
    open_credentials,
    reseal_credentials,
    seal_credentials,
)
from services.payment.errors import ProviderNotEnabled
from services.payment.models import (
    CreditAccount,
    Payment,
    PaymentStatus,
    ProviderAccount,
    db,
)
from services.payment.providers.base import PaymentProvider
from services.payment.providers.invoice import InvoiceProvider
from services.payment.providers.sandbox import SandboxProvider, sandbox_gateway
from services.payment.providers.stripe import StripeProvider

log = structlog.get_logger(__name__)

PROVIDERS = ("sandbox", "stripe", "invoice")

# Statuses whose amount still counts against an invoice customer's credit.
_OWED = (
    PaymentStatus.AUTHORISED,
    PaymentStatus.PARTIALLY_CAPTURED,
    PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED,
)


def configure_provider(provider: str, credentials: dict, enabled: bool = True) -> None:
    """Store (or replace) the brand's account at a provider; caller commits."""
    if provider not in PROVIDERS:
        raise ProviderNotEnabled(f"unknown provider {provider!r}")
    account = db.session.scalar(
        select(ProviderAccount).where(ProviderAccount.provider == provider)
    )
    if account is None:
        account = ProviderAccount(provider=provider)
        db.session.add(account)
    account.enabled = enabled
    account.sealed_credentials = seal_credentials(credentials)
    log.info(
        "provider_configured",
        provider=provider,
        enabled=enabled,
        credentials=masked_credentials(credentials),
    )


def reseal_provider_accounts() -> int:
    """Re-seal the brand's credentials with the first key of SECRETS_KEYS.

    Run after putting a new key first; ``v0:`` (unencrypted) rows are sealed
    too. Caller commits.
    """
    accounts = db.session.scalars(select(ProviderAccount)).all()
    for account in accounts:
        account.sealed_credentials = reseal_credentials(account.sealed_credentials)
    log.info("provider_credentials_resealed", accounts=len(accounts))
    return len(accounts)


def provider_account(provider: str) -> ProviderAccount:
    account = db.session.scalar(
        select(ProviderAccount).where(
            ProviderAccount.provider == provider, ProviderAccount.enabled.is_(True)
        )
    )
    if account is None:
        raise ProviderNotEnabled(f"{provider} is not enabled for this brand")
    return account


def provider_credentials(provider: str) -> dict:
    return open_credentials(provider_account(provider).sealed_credentials)


def provider_for(provider: str) -> PaymentProvider:
    credentials = provider_credentials(provider)
    if provider == "sandbox":
        return SandboxProvider(sandbox_gateway(credentials["merchant"]))
    if provider == "stripe":
        return StripeProvider(
            credentials["api_key"],
            api_base=credentials.get("api_base"),
            timeout_s=float(credentials.get("timeout_s", 10)),
        )
    return InvoiceProvider(credit_position)


def credit_position(customer_id: str, currency: str) -> tuple[int, int] | None:
    account = db.session.scalar(
        select(CreditAccount).where(
            CreditAccount.customer_id == customer_id,
            CreditAccount.currency == currency,
        )
    )
    if account is None:
        return None

    owed = db.session.scalar(
        select(
            func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0)
        ).where(
            Payment.provider == "invoice",
            Payment.customer_id == customer_id,
            Payment.status.in_(_OWED),
        )
    )
    return account.credit_limit, int(owed or 0)
