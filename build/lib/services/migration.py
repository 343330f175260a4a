"""Migrating a service database with the tenants its local registry knows."""

from __future__ import annotations

from sqlalchemy import select

from shared.config import Settings
from shared.db.migrate import (
    MigrationReport,
    migration_engine,
    upgrade_all,
    upgrade_platform,
)
from shared.db.platform import tenant_registry


def known_tenant_slugs(url: str, service: str) -> list[str]:
    engine = migration_engine(url)
    try:
        upgrade_platform(engine, service)
        with engine.connect() as connection:
            return list(
                connection.execute(
                    select(tenant_registry.c.slug).order_by(tenant_registry.c.slug)
                ).scalars()
            )
    finally:
        engine.dispose()


def migrate_service(service: str, settings: Settings) -> MigrationReport:
    url = settings.database_url(service)
    return upgrade_all(url, service, known_tenant_slugs(url, service))
