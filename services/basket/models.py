"""The basket service's tables (all tenant-owned)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


OPEN, CHECKED_OUT, EXPIRED, MERGED = "open", "checked_out", "expired", "merged"
MOBILE, BROADBAND = "mobile", "broadband"


class BrandTerms(TenantOwned, db.Model):
    """The brand's basket settings: currency, tax, expiry and abandonment delay."""

    __tablename__ = "brand_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_percent: Mapped[int] = mapped_column(Integer)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean)
    basket_ttl_hours: Mapped[int] = mapped_column(Integer, default=720)
    abandon_after_minutes: Mapped[int] = mapped_column(Integer, default=60)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)


class Basket(TenantOwned, db.Model):
    __tablename__ = "baskets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    priced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    frozen_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    abandoned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    order_reference: Mapped[str | None] = mapped_column(String(64))
    checkout: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shown_totals: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    bundles: Mapped[list[Bundle]] = relationship(
        back_populates="basket",
        order_by="Bundle.position",
        cascade="all, delete-orphan",
    )
    promotion_codes: Mapped[list[AppliedPromotion]] = relationship(
        cascade="all, delete-orphan", order_by="AppliedPromotion.id"
    )


class Bundle(TenantOwned, db.Model):
    """One phone line (plan, SIM, device, add-ons) or one broadband order."""

    __tablename__ = "bundles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    basket_id: Mapped[str] = mapped_column(
        ForeignKey("tenant.baskets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(12))

    basket: Mapped[Basket] = relationship(back_populates="bundles")
    lines: Mapped[list[BasketLine]] = relationship(
        back_populates="bundle", order_by="BasketLine.id", cascade="all, delete-orphan"
    )


class BasketLine(TenantOwned, db.Model):
    """One product in a bundle, with the price option chosen and last shown."""

    __tablename__ = "basket_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[str] = mapped_column(
        ForeignKey("tenant.bundles.id", ondelete="CASCADE"), index=True
    )
    product_code: Mapped[str] = mapped_column(String(80))
    product_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(80))
    price_type: Mapped[str] = mapped_column(String(16))
    term_months: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    shown_monthly: Mapped[int] = mapped_column(Integer, default=0)
    shown_one_time: Mapped[int] = mapped_column(Integer, default=0)
    preorder: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_on: Mapped[str | None] = mapped_column(String(32))

    bundle: Mapped[Bundle] = relationship(back_populates="lines")


class AppliedPromotion(TenantOwned, db.Model):
    __tablename__ = "applied_promotions"
    __table_args__ = tenant_table_args(UniqueConstraint("basket_id", "code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    basket_id: Mapped[str] = mapped_column(
        ForeignKey("tenant.baskets.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))


class PromotionCode(TenantOwned, db.Model):
    """A code a shopper types, imported from the brand pack, with its counter."""

    __tablename__ = "promotion_codes"
    __table_args__ = tenant_table_args(UniqueConstraint("code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    percent: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int | None] = mapped_column(Integer)
    months: Mapped[int | None] = mapped_column(Integer)
    on: Mapped[str] = mapped_column(String(16), default="recurring")
    applies: Mapped[str] = mapped_column(String(32), default="each_line")
    min_lines: Mapped[int | None] = mapped_column(Integer)
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    once_per_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PromotionRedemption(TenantOwned, db.Model):
    """One use of a code at checkout; the unique keys make "once" hold."""

    __tablename__ = "promotion_redemptions"
    __table_args__ = tenant_table_args(
        UniqueConstraint("code", "basket_id"),
        UniqueConstraint("code", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    basket_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    redeemed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Quote(TenantOwned, db.Model):
    """A basket frozen with its prices, for B2B and assisted channels."""

    __tablename__ = "quotes"
    __table_args__ = tenant_table_args(UniqueConstraint("reference"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(String(20))
    basket_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)
