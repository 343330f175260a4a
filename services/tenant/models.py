"""The tenant service's tables.

Global tables (default schema) hold what belongs to the platform: the brands
themselves, operators, signing keys, OAuth clients, refresh tokens, brand
secrets, the audit chain and usage counters. Accounts of customers and staff
are tenant-owned: they live in the brand's own schema, so the same e-mail at
two brands is two unrelated rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()

PROVISIONING, ACTIVE, SUSPENDED = "provisioning", "active", "suspended"


class Brand(db.Model):
    """A tenant: one telecom brand served by the platform."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    domains: Mapped[list] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(16))
    languages: Mapped[list] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3))
    tax: Mapped[dict] = mapped_column(JSON, default=dict)
    theme: Mapped[dict] = mapped_column(JSON, default=dict)
    payment_providers: Mapped[list] = mapped_column(JSON, default=list)
    features: Mapped[dict] = mapped_column(JSON, default=dict)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PROVISIONING)
    pack_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provisioning_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProvisioningAnswer(db.Model):
    """One service's ``<service>.tenant_ready`` answer for a brand."""

    __tablename__ = "tenant_provisioning"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Operator(db.Model):
    """A platform operator (role ``platform_admin``); belongs to no brand."""

    __tablename__ = "operators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Account(TenantOwned, db.Model):
    """A customer or staff member of one brand."""

    __tablename__ = "accounts"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "email"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SigningKey(db.Model):
    """An RS256 key pair; the private half is encrypted with SECRETS_KEYS."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class OAuthClient(db.Model):
    """A client of the token endpoint: a storefront, an app or a partner system."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    name: Mapped[str] = mapped_column(String(120))
    secret_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    grant_types: Mapped[list] = mapped_column(JSON, default=list)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RefreshToken(db.Model):
    """An opaque refresh token, stored as its SHA-256 only, in a rotation family."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    subject: Mapped[str] = mapped_column(String(36))
    subject_kind: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class BrandSecret(db.Model):
    """A brand's credential, encrypted at rest; only its last four are shown."""

    __tablename__ = "brand_secrets"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    last4: Mapped[str] = mapped_column(String(4))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(db.Model):
    """One write by staff or an operator; each entry's hash covers the previous."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(254))
    actor_roles: Mapped[list] = mapped_column(JSON, default=list)
    tenant_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class UsageCount(db.Model):
    """How much a brand used the platform on one day, per metric."""

    __tablename__ = "usage_daily"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
