"""The catalog service's tables.

Tenant-owned (one set per brand, schema per tenant on PostgreSQL): settings,
products, variants, prices, rules, cross-sell, campaigns, inventory,
reservations, stock movements and the brand's device overrides.

Global (shared by the whole platform, default schema): the device master data
fed by the external product service, keyed by GTIN.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()

PRODUCT_TYPES = ("device", "plan", "sim", "addon", "broadband", "accessory")
LIFECYCLES = ("draft", "active", "retired")
PRICE_TYPES = ("one_time", "recurring", "instalment")
RESERVATION_STATUSES = ("held", "released", "expired", "committed")


class CatalogSettings(TenantOwned, db.Model):
    """The brand's money rules, imported with its pack (one row per tenant)."""

    __tablename__ = "catalog_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_percent: Mapped[int] = mapped_column(Integer)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean)
    channels: Mapped[list] = mapped_column(JSON, default=list)


class Product(TenantOwned, db.Model):
    __tablename__ = "products"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(
            "type IN ('device','plan','sim','addon','broadband','accessory')",
            name="type",
        ),
        CheckConstraint("lifecycle IN ('draft','active','retired')", name="lifecycle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(80), index=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    lifecycle: Mapped[str] = mapped_column(String(16), default="active")
    requires: Mapped[dict | None] = mapped_column(JSON)
    postcode_prefixes: Mapped[list | None] = mapped_column(JSON)
    hidden_channels: Mapped[list] = mapped_column(JSON, default=list)

    # Derived at write time from attributes and prices, so that filters and
    # sorting are plain indexed comparisons instead of JSON path expressions.
    is_5g: Mapped[bool] = mapped_column(Boolean, default=False)
    has_esim: Mapped[bool] = mapped_column(Boolean, default=False)
    data_gb: Mapped[int | None] = mapped_column(Integer)
    unlimited_data: Mapped[bool] = mapped_column(Boolean, default=False)
    price_today_from: Mapped[int | None] = mapped_column(Integer)
    price_monthly_from: Mapped[int | None] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(Text, default="")

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.id", cascade="all, delete-orphan"
    )
    prices: Mapped[list[Price]] = relationship(
        primaryjoin="and_(Price.product_id == Product.id, Price.variant_id == None)",
        order_by="Price.id",
        viewonly=True,
    )


class Variant(TenantOwned, db.Model):
    __tablename__ = "variants"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "sku"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.products.id"), index=True
    )
    sku: Mapped[str] = mapped_column(String(80))
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    stock_tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    preorder: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_on: Mapped[date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship(back_populates="variants")
    prices: Mapped[list[Price]] = relationship(
        primaryjoin="Price.variant_id == Variant.id", order_by="Price.id", viewonly=True
    )


class Price(TenantOwned, db.Model):
    """A price of a product or of one of its variants.

    ``channel`` NULL is the base price; a row with a channel replaces the base
    price of the same type and term on that channel, or hides it there.
    """

    __tablename__ = "prices"
    __table_args__ = tenant_table_args(
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "type IN ('one_time','recurring','instalment')", name="price_type"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.products.id"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.variants.id"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str | None] = mapped_column(String(8))
    term_months: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str | None] = mapped_column(String(40))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class CompatibilityRule(TenantOwned, db.Model):
    __tablename__ = "rules"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    when: Mapped[dict] = mapped_column(JSON, default=dict)
    require: Mapped[dict | None] = mapped_column(JSON)
    forbid_with: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)


class CrossSell(TenantOwned, db.Model):
    __tablename__ = "cross_sell"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "from_code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_code: Mapped[str] = mapped_column(String(80))
    to_codes: Mapped[list] = mapped_column(JSON, default=list)


class Campaign(TenantOwned, db.Model):
    """An automatic discount: percent or amount, once or for N months."""

    __tablename__ = "campaigns"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("valid_to > valid_from", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    applies_to_codes: Mapped[list] = mapped_column(JSON, default=list)
    applies_to_types: Mapped[list] = mapped_column(JSON, default=list)
    percent: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int | None] = mapped_column(Integer)
    months: Mapped[int | None] = mapped_column(Integer)
    on_recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channels: Mapped[list] = mapped_column(JSON, default=list)
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)


class StockLevel(TenantOwned, db.Model):
    """Sellable units per SKU. ``tracked`` false (eSIM) is set on purpose."""

    __tablename__ = "inventory"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "sku"),
        CheckConstraint("on_hand >= 0", name="never_below_zero"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(80))
    tracked: Mapped[bool] = mapped_column(Boolean)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(TenantOwned, db.Model):
    __tablename__ = "reservations"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "order_id", "line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(80), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    tracked: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockMovement(TenantOwned, db.Model):
    """Every change of ``on_hand``: the audit trail behind stock events."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(80), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(64))
    line_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeviceOverride(TenantOwned, db.Model):
    """A brand's own name, description or images for a shared device record."""

    __tablename__ = "device_overrides"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "gtin"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    images: Mapped[list | None] = mapped_column(JSON)


class DeviceMaster(db.Model):
    """Platform-wide device reference data, one row per GTIN (no tenant)."""

    __tablename__ = "device_master"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(120))
    storage_gb: Mapped[int | None] = mapped_column(Integer)
    colour: Mapped[str | None] = mapped_column(String(60))
    network: Mapped[str | None] = mapped_column(String(8))
    esim: Mapped[bool | None] = mapped_column(Boolean)
    screen_in: Mapped[str | None] = mapped_column(String(8))
    rrp_amount: Mapped[int | None] = mapped_column(Integer)
    rrp_currency: Mapped[str | None] = mapped_column(String(3))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
