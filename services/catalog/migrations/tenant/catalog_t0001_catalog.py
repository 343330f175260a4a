"""products, prices, rules, campaigns, inventory and reservations

Revision ID: catalog_t0001
Revises:

Written without a schema: on PostgreSQL it runs with search_path set to the
tenant's schema. Full-text search is a generated tsvector with a GIN index on
PostgreSQL and an FTS5 table (kept by the service layer) on SQLite.
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_t0001"
down_revision = None
branch_labels = None
depends_on = None


def _tenant_id() -> sa.Column:
    return sa.Column("tenant_id", sa.String(36), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "catalog_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax_rate_percent", sa.Integer, nullable=False),
        sa.Column("prices_include_tax", sa.Boolean, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("type", sa.String(16), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("brand", sa.String(80), index=True),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("lifecycle", sa.String(16), nullable=False),
        sa.Column("requires", sa.JSON),
        sa.Column("postcode_prefixes", sa.JSON),
        sa.Column("hidden_channels", sa.JSON, nullable=False),
        sa.Column("is_5g", sa.Boolean, nullable=False),
        sa.Column("has_esim", sa.Boolean, nullable=False),
        sa.Column("data_gb", sa.Integer),
        sa.Column("unlimited_data", sa.Boolean, nullable=False),
        sa.Column("price_today_from", sa.Integer),
        sa.Column("price_monthly_from", sa.Integer),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_products_tenant_id_code"),
        sa.CheckConstraint(
            "type IN ('device','plan','sim','addon','broadband','accessory')",
            name="ck_products_type",
        ),
        sa.CheckConstraint(
            "lifecycle IN ('draft','active','retired')", name="ck_products_lifecycle"
        ),
    )
    op.create_table(
        "variants",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column(
            "product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False
        ),
        sa.Column("sku", sa.String(80), nullable=False),
        sa.Column("gtin", sa.String(14), index=True),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("stock_tracked", sa.Boolean, nullable=False),
        sa.Column("preorder", sa.Boolean, nullable=False),
        sa.Column("expected_on", sa.Date),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_variants_tenant_id_sku"),
    )
    op.create_index("ix_variants_product_id", "variants", ["product_id"])
    op.create_table(
        "prices",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column(
            "product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False
        ),
        sa.Column("variant_id", sa.Integer, sa.ForeignKey("variants.id")),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period", sa.String(8)),
        sa.Column("term_months", sa.Integer),
        sa.Column("channel", sa.String(40)),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_prices_amount_not_negative"),
        sa.CheckConstraint(
            "type IN ('one_time','recurring','instalment')",
            name="ck_prices_price_type",
        ),
    )
    op.create_index("ix_prices_product_id", "prices", ["product_id"])
    op.create_index("ix_prices_variant_id", "prices", ["variant_id"])
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("when", sa.JSON, nullable=False),
        sa.Column("require", sa.JSON),
        sa.Column("forbid_with", sa.JSON),
        sa.Column("message", sa.Text, nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_rules_tenant_id_code"),
    )
    op.create_table(
        "cross_sell",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("from_code", sa.String(80), nullable=False),
        sa.Column("to_codes", sa.JSON, nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "from_code", name="uq_cross_sell_tenant_id_from_code"
        ),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("applies_to_codes", sa.JSON, nullable=False),
        sa.Column("applies_to_types", sa.JSON, nullable=False),
        sa.Column("percent", sa.Integer),
        sa.Column("amount", sa.Integer),
        sa.Column("months", sa.Integer),
        sa.Column("on_recurring", sa.Boolean, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_campaigns_tenant_id_code"),
        sa.CheckConstraint("valid_to > valid_from", name="ck_campaigns_window"),
    )
    op.create_table(
        "inventory",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("sku", sa.String(80), nullable=False),
        sa.Column("tracked", sa.Boolean, nullable=False),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.UniqueConstraint("tenant_id", "sku", name="uq_inventory_tenant_id_sku"),
        sa.CheckConstraint("on_hand >= 0", name="ck_inventory_never_below_zero"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(80), nullable=False, index=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("tracked", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "line_id",
            name="uq_reservations_tenant_id_order_id_line_id",
        ),
        sa.CheckConstraint("quantity > 0", name="ck_reservations_quantity_positive"),
    )
    op.create_index("ix_reservations_expires_at", "reservations", ["expires_at"])
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("sku", sa.String(80), nullable=False, index=True),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("line_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "device_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        _tenant_id(),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("description", sa.Text),
        sa.Column("images", sa.JSON),
        sa.UniqueConstraint(
            "tenant_id", "gtin", name="uq_device_overrides_tenant_id_gtin"
        ),
    )
    _full_text_search()


def _full_text_search() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE products ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_products_search_vector ON products "
            "USING gin (search_vector)"
        )
    else:
        # rowid = products.id; the service layer keeps it in step with
        # products.search_text in the same transaction.
        op.execute(
            "CREATE VIRTUAL TABLE products_fts USING fts5("
            "search_text, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE products_fts")
    for table in (
        "device_overrides",
        "stock_movements",
        "reservations",
        "inventory",
        "campaigns",
        "cross_sell",
        "rules",
        "prices",
        "variants",
        "products",
        "catalog_settings",
    ):
        op.drop_table(table)
