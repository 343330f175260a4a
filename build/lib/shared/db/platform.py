"""Tables every service database holds in its default schema.

These are platform infrastructure, not brand data: the local copy of the
tenant registry and the stored answers for ``Idempotency-Key``. Each row that
belongs to a brand carries its ``tenant_id`` and is always queried by it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text

from shared.db.session import NAMING_CONVENTION

platform_metadata = MetaData(naming_convention=NAMING_CONVENTION)

tenant_registry = Table(
    "tenant_registry",
    platform_metadata,
    Column("id", String(36), primary_key=True),
    Column("slug", String(40), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("domains", JSON, nullable=False, default=list),
    Column("schema_version", String(32), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    platform_metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("scope", String(120), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("response_headers", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
