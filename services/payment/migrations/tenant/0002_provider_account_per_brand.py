"""provider_accounts: one account per provider per brand, not per database

Revision ID: payment_t0002
Revises: payment_t0001

On PostgreSQL every brand has its own schema, so ``UNIQUE (provider)`` held
one brand's accounts apart; on SQLite (the embedded platform) every brand
shares one table, and the second brand's sandbox account was refused.
"""

from alembic import op

revision = "payment_t0002"
down_revision = "payment_t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provider_accounts") as batch:
        batch.drop_constraint("uq_provider_accounts_provider", type_="unique")
        batch.create_unique_constraint(
            "uq_provider_accounts_tenant_id_provider", ["tenant_id", "provider"]
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_accounts") as batch:
        batch.drop_constraint("uq_provider_accounts_tenant_id_provider", type_="unique")
        batch.create_unique_constraint("uq_provider_accounts_provider", ["provider"])
