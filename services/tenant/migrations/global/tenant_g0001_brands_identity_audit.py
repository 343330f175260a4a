"""brands, provisioning, operators, keys, clients, tokens, secrets, audit, usage

Revision ID: tenant_g0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "tenant_g0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The audit chain is append-only for the application: PostgreSQL refuses any
# UPDATE or DELETE. The hash chain still catches whoever gets around this.
APPEND_ONLY = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_entries is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entries_append_only
  BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("domains", sa.JSON, nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tax", sa.JSON, nullable=False),
        sa.Column("theme", sa.JSON, nullable=False),
        sa.Column("payment_providers", sa.JSON, nullable=False),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pack_digest", sa.String(64), nullable=True),
        sa.Column("provisioning_started_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "tenant_provisioning",
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("service", sa.String(20), primary_key=True),
        sa.Column("answered_at", TS, nullable=False),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("public_jwk", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retired_at", TS, nullable=True),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(80), primary_key=True),
        sa.Column("tenant_id", sa.String(36), nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=True),
        sa.Column("grant_types", sa.JSON, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("family_id", sa.String(36), nullable=False, index=True),
        sa.Column("tenant_id", sa.String(36), nullable=True),
        sa.Column("subject", sa.String(36), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(80), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("rotated_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_table(
        "brand_secrets",
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("actor_roles", sa.JSON, nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=True, index=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "usage_daily",
        sa.Column("tenant_id", sa.String(36), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    for table in (
        "usage_daily",
        "audit_entries",
        "brand_secrets",
        "refresh_tokens",
        "oauth_clients",
        "signing_keys",
        "operators",
        "tenant_provisioning",
        "tenants",
    ):
        op.drop_table(table)
