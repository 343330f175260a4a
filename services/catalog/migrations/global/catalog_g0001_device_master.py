"""device master data shared by every brand

Revision ID: catalog_g0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_g0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_master",
        sa.Column("gtin", sa.String(14), primary_key=True),
        sa.Column("manufacturer", sa.String(80), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("storage_gb", sa.Integer),
        sa.Column("colour", sa.String(60)),
        sa.Column("network", sa.String(8)),
        sa.Column("esim", sa.Boolean),
        sa.Column("screen_in", sa.String(8)),
        sa.Column("rrp_amount", sa.Integer),
        sa.Column("rrp_currency", sa.String(3)),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device_master")
