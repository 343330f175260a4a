"""Alembic migrations for one service database and all its tenant schemas.

Three chains of revisions, each with its own version table:

- ``platform``: tables of the common library (registry, idempotency, outbox,
  inbox), in the default schema of every service database;
- ``global``: a service's own tables that belong to no tenant;
- ``tenant``: a service's tenant-owned tables, applied once per tenant schema
  on PostgreSQL (``SET LOCAL search_path``), once in all on SQLite.

Every run is idempotent: re-running after a stop half way converges, because
each schema is upgraded in its own transaction and PostgreSQL DDL is
transactional.
"""

from __future__ import annotations

import importlib.resources
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from shared.db.session import ensure_sqlite_folder
from shared.tenancy.context import schema_for

SHARED_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class MigrationReport:
    service: str
    schemas: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _config(
    connection: Connection, versions: Path, version_table: str, schema: str | None
) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(SHARED_MIGRATIONS))
    cfg.set_main_option("version_locations", str(versions))
    cfg.attributes["connection"] = connection
    cfg.attributes["version_table"] = version_table
    cfg.attributes["schema"] = schema
    return cfg


def service_migrations(service: str) -> Path:
    return Path(str(importlib.resources.files(f"services.{service}") / "migrations"))


def migration_engine(url: str) -> Engine:
    ensure_sqlite_folder(url)
    return create_engine(url, poolclass=NullPool)


def upgrade_platform(engine: Engine, service: str) -> None:
    """The common library's tables, then the service's own global tables."""
    chains = [
        (SHARED_MIGRATIONS / "platform", "alembic_version_platform"),
        (service_migrations(service) / "global", "alembic_version_global"),
    ]
    for versions, version_table in chains:
        if not _has_revisions(versions):
            continue
        with engine.begin() as connection:
            _lock(connection, f"{service}:{version_table}")
            command.upgrade(_config(connection, versions, version_table, None), "head")


def upgrade_tenant(engine: Engine, service: str, slug: str) -> str:
    """Create the tenant's schema if needed and bring it to the head revision."""
    versions = service_migrations(service) / "tenant"
    schema = schema_for(slug)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            _lock(connection, schema)
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            cfg = _config(connection, versions, "alembic_version", schema)
        else:
            cfg = _config(connection, versions, "alembic_version_tenant", None)
        if _has_revisions(versions):
            command.upgrade(cfg, "head")
    return schema


def tenant_head_revision(engine: Engine, service: str, slug: str) -> str | None:
    """The revision a tenant's schema is at, or None if it has none."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            schema = schema_for(slug)
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": "alembic_version",
                    "version_table_schema": schema,
                },
            )
        else:
            context = MigrationContext.configure(
                connection, opts={"version_table": "alembic_version_tenant"}
            )
        return context.get_current_revision()


def upgrade_all(url: str, service: str, slugs: Iterable[str]) -> MigrationReport:
    started = time.perf_counter()
    engine = migration_engine(url)
    report = MigrationReport(service=service)
    try:
        upgrade_platform(engine, service)
        for slug in slugs:
            report.schemas.append(upgrade_tenant(engine, service, slug))
    finally:
        engine.dispose()
    report.seconds = time.perf_counter() - started
    return report


def _has_revisions(versions: Path) -> bool:
    return versions.is_dir() and any(versions.glob("*.py"))


def _lock(connection: Connection, name: str) -> None:
    """Serialise concurrent migrations of one schema (two pods starting at once)."""
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
