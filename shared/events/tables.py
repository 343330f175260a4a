"""Outbox and inbox: the two tables that make events exactly-once in effect.

Both live in the default schema of every service database (platform chain,
revision ``platform_0002``), next to the tenant registry. Each row carries the
``tenant_id`` of its event.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from shared.db.platform import platform_metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

outbox = Table(
    "outbox",
    platform_metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(120), nullable=False),
    Column("tenant_id", String(36), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(120), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(300), nullable=True),
)
Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.id)

inbox = Table(
    "inbox",
    platform_metadata,
    Column("consumer", String(80), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(120), nullable=False),
    Column("tenant_id", String(36), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
