"""order settings: fulfilment_mode (http | simulator)

Revision ID: order_t0002
Revises: order_t0001
"""

import sqlalchemy as sa
from alembic import op

revision = "order_t0002"
down_revision = "order_t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("order_settings", sa.Column("fulfilment_mode", sa.String(12)))


def downgrade() -> None:
    op.drop_column("order_settings", "fulfilment_mode")
