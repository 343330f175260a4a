"""Baskets, bundles, lines, promotion codes and their redemptions, quotes.

Revision ID: basket_t0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "basket_t0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_id() -> sa.Column:
    return sa.Column("tenant_id", sa.String(36), nullable=False, index=True)


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "brand_terms",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_rate_percent", sa.Integer, nullable=False),
        sa.Column("prices_include_tax", sa.Boolean, nullable=False),
        sa.Column("basket_ttl_hours", sa.Integer, nullable=False),
        sa.Column("abandon_after_minutes", sa.Integer, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
    )
    op.create_table(
        "baskets",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("customer_id", sa.String(64), nullable=True, index=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
        _when("expires_at", False),
        sa.Column("contact", sa.JSON, nullable=True),
        _when("priced_at"),
        _when("frozen_until"),
        _when("abandoned_at"),
        _when("checked_out_at"),
        sa.Column("order_reference", sa.String(64), nullable=True),
        sa.Column("checkout", sa.JSON, nullable=True),
        sa.Column("shown_totals", sa.JSON, nullable=True),
    )
    op.create_index("ix_baskets_status_updated_at", "baskets", ["status", "updated_at"])
    op.create_table(
        "bundles",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        sa.Column(
            "basket_id",
            sa.String(36),
            sa.ForeignKey("baskets.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("postcode", sa.String(12), nullable=True),
    )
    op.create_table(
        "basket_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _tenant_id(),
        sa.Column(
            "bundle_id",
            sa.String(36),
            sa.ForeignKey("bundles.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("product_code", sa.String(80), nullable=False),
        sa.Column("product_type", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sku", sa.String(80), nullable=True),
        sa.Column("price_type", sa.String(16), nullable=False),
        sa.Column("term_months", sa.Integer, nullable=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("shown_monthly", sa.Integer, nullable=False),
        sa.Column("shown_one_time", sa.Integer, nullable=False),
        sa.Column("preorder", sa.Boolean, nullable=False),
        sa.Column("expected_on", sa.String(32), nullable=True),
        sa.CheckConstraint("quantity >= 1", name="ck_basket_lines_quantity"),
    )
    op.create_table(
        "applied_promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _tenant_id(),
        sa.Column(
            "basket_id",
            sa.String(36),
            sa.ForeignKey("baskets.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("code", sa.String(40), nullable=False),
        sa.UniqueConstraint("basket_id", "code"),
    )
    op.create_table(
        "promotion_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _tenant_id(),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("percent", sa.Integer, nullable=True),
        sa.Column("amount", sa.Integer, nullable=True),
        sa.Column("months", sa.Integer, nullable=True),
        sa.Column("on", sa.String(16), nullable=False),
        sa.Column("applies", sa.String(32), nullable=False),
        sa.Column("min_lines", sa.Integer, nullable=True),
        sa.Column("max_redemptions", sa.Integer, nullable=True),
        sa.Column("redeemed", sa.Integer, nullable=False),
        sa.Column("once_per_customer", sa.Boolean, nullable=False),
        _when("valid_from"),
        _when("valid_to"),
        sa.CheckConstraint(
            "max_redemptions IS NULL OR redeemed <= max_redemptions",
            name="ck_promotion_codes_within_limit",
        ),
    )
    op.create_table(
        "promotion_redemptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _tenant_id(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("basket_id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        _when("redeemed_at", False),
        sa.UniqueConstraint("code", "basket_id"),
        sa.UniqueConstraint("code", "customer_id"),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.String(36), primary_key=True),
        _tenant_id(),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("basket_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        _when("created_at", False),
        _when("expires_at", False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("totals", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "quotes",
        "promotion_redemptions",
        "promotion_codes",
        "applied_promotions",
        "basket_lines",
        "bundles",
        "baskets",
        "brand_terms",
    ):
        op.drop_table(table)
