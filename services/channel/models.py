"""The channel service's tables.

Every table is tenant-owned (one schema per brand on PostgreSQL, plus a
``tenant_id`` on every row), so the natural keys below are unique per brand.
"""

from __future__ import annotations

from datetime import datetime

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

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()

AUDIENCES = ("any", "signed_in", "guest")
CUSTOMER_KINDS = ("any", "new", "existing")
EVENT_KINDS = ("exposure", "impression", "click")


class ChannelSettings(db.Model, TenantOwned):
    """One row per brand: its locales and where its content comes from."""

    __tablename__ = "channel_settings"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    default_locale: Mapped[str] = mapped_column(String(16), nullable=False)
    languages: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    contentful_space: Mapped[str | None] = mapped_column(String(64))
    contentful_environment: Mapped[str | None] = mapped_column(String(64))
    contentful_token_sealed: Mapped[str | None] = mapped_column(String(512))
    contentful_webhook_secret_sealed: Mapped[str | None] = mapped_column(String(512))
    contentful_api_url: Mapped[str | None] = mapped_column(String(255))

    @property
    def uses_contentful(self) -> bool:
        return bool(self.contentful_space and self.contentful_token_sealed)


class SalesChannel(db.Model, TenantOwned):
    """A way the brand sells: web shop, app, retail stores, telesales."""

    __tablename__ = "sales_channels"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    assisted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Placement(db.Model, TenantOwned):
    """What a channel shows in one page slot, when, and to whom."""

    __tablename__ = "placements"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), nullable=False)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.sales_channels.id", ondelete="CASCADE"), nullable=False
    )
    slot: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_id: Mapped[str | None] = mapped_column(String(120))
    products: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    locales: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    audience: Mapped[str] = mapped_column(String(16), nullable=False, default="any")
    customer: Mapped[str] = mapped_column(String(16), nullable=False, default="any")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="admin")

    channel: Mapped[SalesChannel] = relationship(lazy="joined")
    experiment: Mapped[Experiment | None] = relationship(
        back_populates="placement",
        uselist=False,
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class Experiment(db.Model, TenantOwned):
    """An A/B test on a placement: its variants replace content or products."""

    __tablename__ = "experiments"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "placement_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.placements.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)

    placement: Mapped[Placement] = relationship(back_populates="experiment")
    variants: Mapped[list[ExperimentVariant]] = relationship(
        cascade="all, delete-orphan",
        order_by="ExperimentVariant.position",
        lazy="selectin",
    )


class ExperimentVariant(db.Model, TenantOwned):
    __tablename__ = "experiment_variants"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "experiment_id", "key")
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.experiments.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    weight: Mapped[int] = mapped_column(Integer, nullable=False)
    content_id: Mapped[str | None] = mapped_column(String(120))
    products: Mapped[list | None] = mapped_column(JSON)


class ContentEntry(db.Model, TenantOwned):
    """One content entry in one locale.

    ``source`` is ``pack`` for entries imported from the brand pack and
    ``contentful`` for the last good copy fetched from Contentful, which is
    what a placement serves while Contentful is down or rate-limiting.
    """

    __tablename__ = "content_entries"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "source", "entry_id", "locale")
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="pack")
    entry_id: Mapped[str] = mapped_column(String(120), nullable=False)
    content_type: Mapped[str] = mapped_column(String(80), nullable=False)
    locale: Mapped[str] = mapped_column(String(16), nullable=False)
    fields: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlacementEvent(db.Model, TenantOwned):
    """An exposure (variant assigned and shown), impression or click."""

    __tablename__ = "placement_events"
    __table_args__ = tenant_table_args()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.placements.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    variant_key: Mapped[str | None] = mapped_column(String(40))
    visitor_id: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False
    )


class Conversion(db.Model, TenantOwned):
    """A confirmed order attributed to a placement (and variant) a visitor saw."""

    __tablename__ = "conversions"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "order_id", "placement_id")
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.placements.id", ondelete="CASCADE"), nullable=False
    )
    variant_key: Mapped[str | None] = mapped_column(String(40))
    visitor_id: Mapped[str] = mapped_column(String(80), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False
    )
