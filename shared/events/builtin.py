"""Handlers every service gets: its local copy of the tenant registry.

``tenant.created|updated|suspended|resumed`` update the service's
``tenant_registry``; on ``tenant.created`` the service also creates and
migrates the tenant's schema and answers ``<service>.tenant_ready``, the step
the tenant service's provisioning saga waits for.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from sqlalchemy import select

from shared.db.migrate import upgrade_tenant
from shared.db.platform import tenant_registry
from shared.events.envelope import Envelope
from shared.events.handlers import EventHandlers
from shared.events.outbox import publish
from shared.tenancy.context import Tenant
from shared.tenancy.registry import TenantRegistry

log = structlog.get_logger(__name__)

# Alembic keeps its migration context in module globals: two migrations run at
# once in one process (several services' consumers in threads) would mix up
# each other's scripts. Separate worker processes are unaffected.
_ALEMBIC = threading.Lock()

_STATUS_BY_EVENT = {"tenant.suspended": "suspended", "tenant.resumed": "active"}
TENANT_LIFECYCLE = (
    "tenant.created",
    "tenant.updated",
    "tenant.suspended",
    "tenant.resumed",
)


def tenant_from_event(registry: TenantRegistry, envelope: Envelope) -> Tenant:
    """The tenant a ``tenant.*`` event is about; it may be new to this service."""
    payload = envelope.payload
    known = registry.by_id(envelope.tenant_id)
    slug = payload.get("slug") or (known.slug if known else None)
    if not slug:
        raise ValueError(f"{envelope.type} names no slug for an unknown tenant")
    status = _status(envelope, known)
    return Tenant(id=envelope.tenant_id, slug=slug, status=status)


def _status(envelope: Envelope, known: Tenant | None) -> str:
    if envelope.type in _STATUS_BY_EVENT:
        return _STATUS_BY_EVENT[envelope.type]
    return envelope.payload.get("status") or (known.status if known else "active")


def tenant_lifecycle_handlers(rt: Any) -> EventHandlers:
    """Built-in handlers for one service runtime (``shared.http.app``)."""
    handlers = EventHandlers(rt.service)

    def record(envelope: Envelope, session: Any) -> Tenant:
        tenant = tenant_from_event(rt.registry, envelope)
        connection = session.connection()
        domains = envelope.payload.get("domains")
        if domains is None:
            domains = (
                connection.execute(
                    select(tenant_registry.c.domains).where(
                        tenant_registry.c.id == tenant.id
                    )
                ).scalar()
                or []
            )
        rt.registry.upsert(
            connection,
            tenant_id=tenant.id,
            slug=tenant.slug,
            status=tenant.status,
            domains=domains,
        )
        log.info("tenant_registered", slug=tenant.slug, status=tenant.status)
        return tenant

    @handlers.before_transaction("tenant.created")
    def create_tenant_schema(envelope: Envelope) -> None:
        tenant = tenant_from_event(rt.registry, envelope)
        with _ALEMBIC:
            schema = upgrade_tenant(rt.engine, rt.service, tenant.slug)
        log.info("tenant_schema_ready", slug=tenant.slug, schema=schema)

    @handlers.on("tenant.created")
    def provision_tenant(envelope: Envelope, session: Any) -> None:
        tenant = record(envelope, session)
        publish(
            session,
            f"{rt.service}.tenant_ready",
            {"tenant_id": tenant.id, "service": rt.service},
            tenant_id=tenant.id,
        )

    for name in TENANT_LIFECYCLE[1:]:
        handlers.on(name)(record)

    return handlers
