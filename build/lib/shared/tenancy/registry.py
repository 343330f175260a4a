"""Each service's local copy of the tenant registry, and host resolution.

The copy is fed by ``tenant.*`` events, so resolving a request's Host never
calls the tenant service. Reads come from an in-memory snapshot refreshed every
few seconds, so a suspension reaches every worker within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from shared.db.platform import tenant_registry
from shared.http.problems import TenantSuspended, UnknownTenant
from shared.tenancy.context import Tenant


@dataclass(frozen=True)
class RegistryEntry:
    tenant: Tenant
    domains: tuple[str, ...]


class TenantRegistry:
    """Resolve hosts to tenants from this service's ``tenant_registry`` table."""

    def __init__(
        self, engine: Engine, platform_domain: str, ttl_s: float = 2.0
    ) -> None:
        self._engine = engine
        self._suffix = "." + platform_domain.lower()
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._by_slug: dict[str, Tenant] = {}
        self._by_id: dict[str, Tenant] = {}
        self._by_domain: dict[str, Tenant] = {}

    def upsert(
        self,
        connection,
        *,
        tenant_id: str,
        slug: str,
        status: str,
        domains: Iterable[str] = (),
    ) -> None:
        """Record a tenant as the tenant service announced it (same transaction)."""
        values = {
            "slug": slug,
            "status": status,
            "domains": sorted({d.lower() for d in domains}),
            "updated_at": datetime.now(UTC),
        }
        updated = connection.execute(
            tenant_registry.update()
            .where(tenant_registry.c.id == tenant_id)
            .values(**values)
        )
        if updated.rowcount == 0:
            connection.execute(tenant_registry.insert().values(id=tenant_id, **values))
        self.invalidate()

    def invalidate(self) -> None:
        self._loaded_at = 0.0

    def all(self) -> list[Tenant]:
        self._refresh()
        return sorted(self._by_slug.values(), key=lambda t: t.slug)

    def by_id(self, tenant_id: str) -> Tenant | None:
        self._refresh()
        return self._by_id.get(tenant_id)

    def by_slug(self, slug: str) -> Tenant | None:
        self._refresh()
        return self._by_slug.get(slug)

    def resolve_host(self, host: str) -> Tenant:
        """The active tenant served at ``host``; 404 problem or 403 problem else."""
        name = host.split(":", 1)[0].strip().lower().rstrip(".")
        self._refresh()

        tenant = None
        if name.endswith(self._suffix):
            label = name[: -len(self._suffix)]
            if label and "." not in label:
                tenant = self._by_slug.get(label)
        if tenant is None:
            tenant = self._by_domain.get(name)

        if tenant is None:
            raise UnknownTenant(f"no brand is served at {name or 'an empty host'}")
        if not tenant.is_active:
            raise TenantSuspended(f"{tenant.slug} is {tenant.status}")
        return tenant

    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self._ttl_s:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < self._ttl_s:
                return
            with self._engine.connect() as connection:
                rows = connection.execute(select(tenant_registry)).mappings().all()
            by_slug, by_id, by_domain = {}, {}, {}
            for row in rows:
                tenant = Tenant(id=row["id"], slug=row["slug"], status=row["status"])
                by_slug[tenant.slug] = tenant
                by_id[tenant.id] = tenant
                for domain in row["domains"] or []:
                    by_domain[domain] = tenant
            self._by_slug, self._by_id, self._by_domain = by_slug, by_id, by_domain
            self._loaded_at = time.monotonic()
