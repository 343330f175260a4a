"""orders, lines, saga state and timeline, notifications, parked orders, returns

Revision ID: order_t0001
Revises:

Written without a schema: on PostgreSQL it runs with search_path set to the
tenant's schema.
"""

import sqlalchemy as sa
from alembic import op

revision = "order_t0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_id() -> sa.Column:
    return sa.Column("tenant_id", sa.String(36), nullable=False, index=True)


def _at(name: str, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, index=index)


def _order_fk() -> sa.Column:
    return sa.Column(
        "order_id",
        sa.String(36),
        sa.ForeignKey("orders.id"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "order_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("number_prefix", sa.String(8), nullable=False),
        sa.Column("next_number", sa.Integer, nullable=False),
        sa.Column("fulfilment_base_url", sa.String(300)),
        sa.Column("callback_url", sa.String(300)),
        sa.Column("callback_secret", sa.String(120)),
        sa.Column("reserve_timeout_s", sa.Integer, nullable=False),
        sa.Column("payment_timeout_s", sa.Integer, nullable=False),
        sa.Column("fulfilment_timeout_s", sa.Integer, nullable=False),
        sa.Column("compensation_timeout_s", sa.Integer, nullable=False),
        sa.Column("compensation_max_attempts", sa.Integer, nullable=False),
        sa.UniqueConstraint("tenant_id", name="uq_order_settings_tenant_id"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("channel", sa.String(24), nullable=False, index=True),
        sa.Column("basket_id", sa.String(64)),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("customer_id", sa.String(64), index=True),
        sa.Column("customer_name", sa.String(200)),
        sa.Column("customer_email", sa.String(254), nullable=False, index=True),
        sa.Column("customer_phone", sa.String(20), index=True),
        sa.Column("delivery_address", sa.JSON, nullable=False),
        sa.Column("payment_method", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("due_today", sa.Integer, nullable=False),
        sa.Column("monthly", sa.Integer, nullable=False),
        sa.Column("customer_reason", sa.Text),
        _at("created_at", nullable=False, index=True),
        _at("updated_at", nullable=False),
        _at("confirmed_at"),
        _at("first_shipped_at"),
        _at("closed_at"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_orders_tenant_id_number"),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="uq_orders_tenant_id_idempotency_key"
        ),
        sa.CheckConstraint("due_today >= 0 AND monthly >= 0", name="ck_orders_money"),
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        _order_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("bundle", sa.String(80)),
        sa.Column("product_code", sa.String(80), nullable=False),
        sa.Column("plan_term_months", sa.Integer),
        sa.Column("sku", sa.String(80)),
        sa.Column("device_product_code", sa.String(80)),
        sa.Column("price_option", sa.String(24)),
        sa.Column("instalment_months", sa.Integer),
        sa.Column("instalment_amount", sa.Integer),
        sa.Column("addons", sa.JSON, nullable=False),
        sa.Column("sim_type", sa.String(10)),
        sa.Column("esim_email", sa.String(254)),
        sa.Column("number_choice", sa.String(10)),
        sa.Column("port_msisdn", sa.String(20)),
        sa.Column("pac_code", sa.String(9)),
        sa.Column("port_date", sa.Date),
        sa.Column("due_today", sa.Integer, nullable=False),
        sa.Column("monthly", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("msisdn", sa.String(20)),
        sa.Column("tracking_number", sa.String(64)),
        sa.Column("fulfilment_ref", sa.String(64)),
        sa.Column("fulfilment_attempts", sa.Integer, nullable=False),
        sa.Column("milestones", sa.JSON, nullable=False),
        sa.Column("failure_reason", sa.Text),
        _at("dispatched_at"),
        _at("delivered_at"),
        _at("activated_at"),
    )
    op.create_table(
        "order_sagas",
        sa.Column(
            "order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True
        ),
        _tenant_id(),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("step", sa.String(24), nullable=False),
        _at("deadline_at", index=True),
        sa.Column("stock", sa.String(20), nullable=False),
        sa.Column("payment", sa.String(20), nullable=False),
        sa.Column("payment_attempt", sa.Integer, nullable=False),
        sa.Column("authorisation_id", sa.String(64)),
        sa.Column("captured_amount", sa.Integer, nullable=False),
        sa.Column("refunded_amount", sa.Integer, nullable=False),
        sa.Column("failure_code", sa.String(40)),
        sa.Column("mandate_id", sa.String(64)),
        sa.Column("outstanding", sa.JSON, nullable=False),
        sa.Column("outstanding_attempts", sa.Integer, nullable=False),
        _at("next_retry_at", index=True),
        _at("updated_at", nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "saga_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        _order_fk(),
        _at("at", nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("event_id", sa.String(64)),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "event_id",
            name="uq_saga_steps_tenant_id_order_id_event_id",
        ),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        _order_fk(),
        _at("at", nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
    )
    op.create_table(
        "parked_orders",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        _order_fk(),
        _at("parked_at", nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("pending", sa.JSON, nullable=False),
        _at("resolved_at"),
        sa.Column("resolved_by", sa.String(120)),
        sa.Column("resolution", sa.String(24)),
    )
    op.create_table(
        "order_returns",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        _order_fk(),
        sa.Column(
            "line_id", sa.String(36), sa.ForeignKey("order_lines.id"), nullable=False
        ),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("refund_amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _at("requested_at", nullable=False),
        _at("received_at"),
        _at("refunded_at"),
    )


def downgrade() -> None:
    for table in (
        "order_returns",
        "parked_orders",
        "notifications",
        "saga_steps",
        "order_sagas",
        "order_lines",
        "orders",
        "order_settings",
    ):
        op.drop_table(table)
