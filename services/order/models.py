"""The order service's tables (all tenant-owned: one set per brand).

- ``order_settings``: one row per brand: order number prefix and counter, the
  fulfilment system's base URL, the step deadlines.
- ``orders`` and ``order_lines``: what the customer bought, per telecom line.
- ``order_sagas``: the saga's persisted state, one row per order; the row
  every event for that order locks (``SELECT ... FOR UPDATE`` on PostgreSQL,
  a version column everywhere) so that two events never lose an update.
- ``saga_steps``: the timeline, one row per thing that happened; the event
  id on it makes a duplicate delivery a no-op.
- ``notifications``: what the order service announced to whom.
- ``parked_orders``: orders waiting for a person, and how they were resolved.
- ``order_returns``: cooling-off returns and their refunds.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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

ORDER_STATUSES = (
    "placed",
    "confirmed",
    "in_fulfilment",
    "completed",
    "partial",
    "cancelling",
    "cancelled",
    "parked",
)
TERMINAL_ORDER_STATUSES = ("completed", "partial", "cancelled")
LINE_STATUSES = (
    "pending",
    "reserved",
    "submitted",
    "dispatched",
    "active",
    "failed",
    "cancelled",
    "returned",
)


class OrderSettings(TenantOwned, db.Model):
    """The brand's order numbering, fulfilment endpoint and step deadlines."""

    __tablename__ = "order_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_prefix: Mapped[str] = mapped_column(String(8))
    next_number: Mapped[int] = mapped_column(Integer, default=100001)
    fulfilment_base_url: Mapped[str | None] = mapped_column(String(300))
    callback_url: Mapped[str | None] = mapped_column(String(300))
    callback_secret: Mapped[str | None] = mapped_column(String(120))
    # http | simulator; unset: http with a base URL, else the simulator if allowed
    fulfilment_mode: Mapped[str | None] = mapped_column(String(12))
    reserve_timeout_s: Mapped[int] = mapped_column(Integer, default=300)
    payment_timeout_s: Mapped[int] = mapped_column(Integer, default=300)
    fulfilment_timeout_s: Mapped[int] = mapped_column(Integer, default=14 * 86400)
    compensation_timeout_s: Mapped[int] = mapped_column(Integer, default=120)
    compensation_max_attempts: Mapped[int] = mapped_column(Integer, default=5)


class Order(TenantOwned, db.Model):
    __tablename__ = "orders"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(24), index=True)
    basket_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    delivery_address: Mapped[dict] = mapped_column(JSON)
    payment_method: Mapped[dict] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    due_today: Mapped[int] = mapped_column(Integer)
    monthly: Mapped[int] = mapped_column(Integer)
    customer_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", lazy="selectin"
    )
    saga: Mapped[OrderSaga] = relationship(back_populates="order", lazy="selectin")


class OrderLine(TenantOwned, db.Model):
    """One telecom line (plan, SIM, number, optional device) or a lone device."""

    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # mobile | device
    bundle: Mapped[str | None] = mapped_column(String(80))
    product_code: Mapped[str] = mapped_column(String(80))
    plan_term_months: Mapped[int | None] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(80))
    device_product_code: Mapped[str | None] = mapped_column(String(80))
    price_option: Mapped[str | None] = mapped_column(String(24))
    instalment_months: Mapped[int | None] = mapped_column(Integer)
    instalment_amount: Mapped[int | None] = mapped_column(Integer)
    addons: Mapped[list] = mapped_column(JSON, default=list)
    sim_type: Mapped[str | None] = mapped_column(String(10))  # physical | esim
    esim_email: Mapped[str | None] = mapped_column(String(254))
    number_choice: Mapped[str | None] = mapped_column(String(10))  # new | port_in
    port_msisdn: Mapped[str | None] = mapped_column(String(20))
    pac_code: Mapped[str | None] = mapped_column(String(9))
    port_date: Mapped[date | None] = mapped_column(Date)
    due_today: Mapped[int] = mapped_column(Integer)
    monthly: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    msisdn: Mapped[str | None] = mapped_column(String(20))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    fulfilment_ref: Mapped[str | None] = mapped_column(String(64))
    fulfilment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    milestones: Mapped[dict] = mapped_column(JSON, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def needs_stock(self) -> bool:
        return self.sku is not None


class OrderSaga(TenantOwned, db.Model):
    """The saga's whole state: a fresh process resumes from this row alone."""

    __tablename__ = "order_sagas"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("tenant.orders.id"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    step: Mapped[str] = mapped_column(String(24))
    deadline_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True
    )
    stock: Mapped[str] = mapped_column(String(20))
    payment: Mapped[str] = mapped_column(String(20))
    payment_attempt: Mapped[int] = mapped_column(Integer, default=0)
    authorisation_id: Mapped[str | None] = mapped_column(String(64))
    captured_amount: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(40))
    mandate_id: Mapped[str | None] = mapped_column(String(64))
    # Commands sent and not yet acknowledged (compensations, capture, refunds):
    # name -> the payload to send again. Re-sent with backoff by the tick.
    outstanding: Mapped[dict] = mapped_column(JSON, default=dict)
    outstanding_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    order: Mapped[Order] = relationship(back_populates="saga")

    __mapper_args__ = {"version_id_col": version}


class SagaStep(TenantOwned, db.Model):
    """One entry of an order's timeline; ``event_id`` dedupes deliveries."""

    __tablename__ = "saga_steps"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "order_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    step: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    event_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120), default="saga")


class Notification(TenantOwned, db.Model):
    """What was sent to whom: the order event that a notifier turns into mail."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(12))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))


class ParkedOrder(TenantOwned, db.Model):
    __tablename__ = "parked_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    parked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    pending: Mapped[dict] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolution: Mapped[str | None] = mapped_column(String(24))


class OrderReturn(TenantOwned, db.Model):
    __tablename__ = "order_returns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("tenant.orders.id"), index=True)
    line_id: Mapped[str] = mapped_column(ForeignKey("tenant.order_lines.id"))
    scope: Mapped[str] = mapped_column(String(8))  # device | line
    status: Mapped[str] = mapped_column(String(20))
    refund_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
