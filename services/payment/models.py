"""The payment service's tables.

No column holds a card number or a security code: a payment method is a
provider token with the brand, last four digits and expiry the provider gave.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class PaymentStatus:
    PENDING = "pending"
    AUTHORISED = "authorised"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DECLINED = "declined"
    REQUIRES_AUTHENTICATION = "requires_authentication"


class ProviderAccount(TenantOwned, db.Model):
    """A brand's merchant account at one provider; credentials sealed."""

    __tablename__ = "provider_accounts"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "provider"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sealed_credentials: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class BrandPaymentSettings(TenantOwned, db.Model):
    """One row per brand: billing day, dunning schedule, fraud thresholds."""

    __tablename__ = "brand_payment_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    billing_day: Mapped[int] = mapped_column(Integer, default=1)
    dunning_days: Mapped[list] = mapped_column(JSON, default=lambda: [3, 7, 14])
    fraud: Mapped[dict] = mapped_column(JSON, default=dict)


class CreditAccount(TenantOwned, db.Model):
    """A business customer's credit limit for pay-by-invoice."""

    __tablename__ = "credit_accounts"
    __table_args__ = tenant_table_args(UniqueConstraint("customer_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    credit_limit: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))


class PaymentMethod(TenantOwned, db.Model):
    __tablename__ = "payment_methods"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(120))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class Payment(TenantOwned, db.Model):
    """One authorisation attempt for one order (or one subscription month)."""

    __tablename__ = "payments"
    __table_args__ = tenant_table_args(UniqueConstraint("order_id", "attempt"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    captured_amount: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(32), default=PaymentStatus.PENDING)
    provider: Mapped[str] = mapped_column(String(20))
    provider_reference: Mapped[str | None] = mapped_column(String(120), index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(36))
    token: Mapped[str] = mapped_column(String(120))
    decline_code: Mapped[str | None] = mapped_column(String(60))
    fraud_score: Mapped[int] = mapped_column(Integer, default=0)
    fraud_decision: Mapped[str] = mapped_column(String(10), default="approve")
    fraud_reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    ledger: Mapped[list[LedgerEntry]] = relationship(
        back_populates="payment", order_by="LedgerEntry.id"
    )


class LedgerEntry(TenantOwned, db.Model):
    """One money movement. Append-only: rows are never updated or deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("tenant.payments.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(20))
    provider_reference: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    payment: Mapped[Payment] = relationship(back_populates="ledger")


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_ledger_change(mapper, connection, target) -> None:
    raise LedgerIsAppendOnly("ledger entries are never changed or removed")


class WebhookEvent(TenantOwned, db.Model):
    """A provider event we applied; the unique key makes it apply once."""

    __tablename__ = "webhook_events"
    __table_args__ = tenant_table_args(UniqueConstraint("provider", "event_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )


class Dispute(TenantOwned, db.Model):
    __tablename__ = "disputes"
    __table_args__ = tenant_table_args(UniqueConstraint("provider", "dispute_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    dispute_id: Mapped[str] = mapped_column(String(120))
    payment_id: Mapped[str | None] = mapped_column(String(36))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FraudScreening(TenantOwned, db.Model):
    """What each screening saw; the velocity rules count these rows."""

    __tablename__ = "fraud_screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    device_id: Mapped[str | None] = mapped_column(String(120), index=True)
    address_key: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    screened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Subscription(TenantOwned, db.Model):
    """An active line's monthly charges: plan, add-ons, device instalments."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    first_billing_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    components: Mapped[list] = mapped_column(JSON)

    charges: Mapped[list[SubscriptionCharge]] = relationship(
        back_populates="subscription", order_by="SubscriptionCharge.period"
    )


class SubscriptionCharge(TenantOwned, db.Model):
    """One month of one subscription; unique per month, so billed once."""

    __tablename__ = "subscription_charges"
    __table_args__ = tenant_table_args(UniqueConstraint("subscription_id", "period"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("tenant.subscriptions.id"))
    period: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="due")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_on: Mapped[date | None] = mapped_column(Date)
    payment_id: Mapped[str | None] = mapped_column(String(36))
    decline_code: Mapped[str | None] = mapped_column(String(60))

    subscription: Mapped[Subscription] = relationship(back_populates="charges")
