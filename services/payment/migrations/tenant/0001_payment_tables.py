"""payment tables: providers, payments, ledger, webhooks, disputes, billing

Revision ID: payment_t0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "payment_t0001"
down_revision = None
branch_labels = None
depends_on = None

# The ledger is append-only in the database too, not only in the ORM.
_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "brand_payment_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=False),
        sa.Column("dunning_days", sa.JSON(), nullable=False),
        sa.Column("fraud", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_payment_settings")),
    )
    op.create_index(
        op.f("ix_brand_payment_settings_tenant_id"),
        "brand_payment_settings",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "credit_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("credit_limit", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_accounts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_credit_accounts_customer_id")),
    )
    op.create_index(
        op.f("ix_credit_accounts_tenant_id"),
        "credit_accounts",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("dispute_id", sa.String(length=120), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint(
            "provider", "dispute_id", name=op.f("uq_disputes_provider_dispute_id")
        ),
    )
    op.create_index(
        op.f("ix_disputes_tenant_id"), "disputes", ["tenant_id"], unique=False
    )
    op.create_table(
        "fraud_screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("device_id", sa.String(length=120), nullable=True),
        sa.Column("address_key", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_screenings")),
    )
    op.create_index(
        op.f("ix_fraud_screenings_address_key"),
        "fraud_screenings",
        ["address_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fraud_screenings_customer_id"),
        "fraud_screenings",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fraud_screenings_device_id"),
        "fraud_screenings",
        ["device_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fraud_screenings_email"), "fraud_screenings", ["email"], unique=False
    )
    op.create_index(
        op.f("ix_fraud_screenings_screened_at"),
        "fraud_screenings",
        ["screened_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fraud_screenings_tenant_id"),
        "fraud_screenings",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    op.create_index(
        op.f("ix_payment_methods_customer_id"),
        "payment_methods",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payment_methods_tenant_id"),
        "payment_methods",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("captured_amount", sa.Integer(), nullable=False),
        sa.Column("refunded_amount", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=True),
        sa.Column("payment_method_id", sa.String(length=36), nullable=True),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("decline_code", sa.String(length=60), nullable=True),
        sa.Column("fraud_score", sa.Integer(), nullable=False),
        sa.Column("fraud_decision", sa.String(length=10), nullable=False),
        sa.Column("fraud_reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "order_id", "attempt", name=op.f("uq_payments_order_id_attempt")
        ),
    )
    op.create_index(
        op.f("ix_payments_customer_id"), "payments", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_payments_provider_reference"),
        "payments",
        ["provider_reference"],
        unique=False,
    )
    op.create_index(
        op.f("ix_payments_tenant_id"), "payments", ["tenant_id"], unique=False
    )
    op.create_table(
        "provider_accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("sealed_credentials", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_accounts")),
        sa.UniqueConstraint("provider", name=op.f("uq_provider_accounts_provider")),
    )
    op.create_index(
        op.f("ix_provider_accounts_tenant_id"),
        "provider_accounts",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("first_billing_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        op.f("ix_subscriptions_customer_id"),
        "subscriptions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_subscriptions_tenant_id"), "subscriptions", ["tenant_id"], unique=False
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_webhook_events_provider_event_id")
        ),
    )
    op.create_index(
        op.f("ix_webhook_events_tenant_id"),
        "webhook_events",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_ledger_entries_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_provider_reference"),
        "ledger_entries",
        ["provider_reference"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ledger_entries_tenant_id"),
        "ledger_entries",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "subscription_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_on", sa.Date(), nullable=True),
        sa.Column("payment_id", sa.String(length=36), nullable=True),
        sa.Column("decline_code", sa.String(length=60), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_charges_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_charges")),
        sa.UniqueConstraint(
            "subscription_id",
            "period",
            name=op.f("uq_subscription_charges_subscription_id_period"),
        ),
    )
    op.create_index(
        op.f("ix_subscription_charges_tenant_id"),
        "subscription_charges",
        ["tenant_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)


def downgrade() -> None:
    raise NotImplementedError("payment tables are not dropped by a migration")
