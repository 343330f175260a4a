"""Channels, placements, experiments, content entries and their events.

Revision ID: channel_t0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "channel_t0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_id() -> sa.Column:
    return sa.Column("tenant_id", sa.String(36), nullable=False, index=True)


def _timestamp(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "channel_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("default_locale", sa.String(16), nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("contentful_space", sa.String(64)),
        sa.Column("contentful_environment", sa.String(64)),
        sa.Column("contentful_token_sealed", sa.String(512)),
        sa.Column("contentful_webhook_secret_sealed", sa.String(512)),
        sa.Column("contentful_api_url", sa.String(255)),
        sa.UniqueConstraint("tenant_id", name="uq_channel_settings_tenant_id"),
    )
    op.create_table(
        "sales_channels",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("assisted", sa.Boolean, nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_sales_channels_tenant_id"),
    )
    op.create_table(
        "placements",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("code", sa.String(120), nullable=False),
        sa.Column(
            "channel_id",
            sa.Integer,
            sa.ForeignKey("sales_channels.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slot", sa.String(80), nullable=False, index=True),
        sa.Column("priority", sa.Integer, nullable=False),
        _timestamp("starts_at"),
        _timestamp("ends_at"),
        sa.Column("content_id", sa.String(120)),
        sa.Column("products", sa.JSON, nullable=False),
        sa.Column("locales", sa.JSON, nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("customer", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_placements_tenant_id"),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column(
            "placement_id",
            sa.Integer,
            sa.ForeignKey("placements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "placement_id", name="uq_experiments_tenant_id"
        ),
    )
    op.create_table(
        "experiment_variants",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("content_id", sa.String(120)),
        sa.Column("products", sa.JSON),
        sa.UniqueConstraint(
            "tenant_id", "experiment_id", "key", name="uq_experiment_variants_tenant_id"
        ),
    )
    op.create_table(
        "content_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.String(120), nullable=False),
        sa.Column("content_type", sa.String(80), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        _timestamp("fetched_at"),
        sa.UniqueConstraint(
            "tenant_id",
            "source",
            "entry_id",
            "locale",
            name="uq_content_entries_tenant_id",
        ),
    )
    op.create_table(
        "placement_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column(
            "placement_id",
            sa.Integer,
            sa.ForeignKey("placements.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("variant_key", sa.String(40)),
        sa.Column("visitor_id", sa.String(80), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        _timestamp("occurred_at", nullable=False),
    )
    op.create_table(
        "conversions",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column(
            "placement_id",
            sa.Integer,
            sa.ForeignKey("placements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("variant_key", sa.String(40)),
        sa.Column("visitor_id", sa.String(80), nullable=False),
        _timestamp("occurred_at", nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "order_id", "placement_id", name="uq_conversions_tenant_id"
        ),
    )


def downgrade() -> None:
    for table in (
        "conversions",
        "placement_events",
        "content_entries",
        "experiment_variants",
        "experiments",
        "placements",
        "sales_channels",
        "channel_settings",
    ):
        op.drop_table(table)
