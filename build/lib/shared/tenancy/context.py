"""The tenant of the current unit of work, held in a context variable.

A web request and an event handler both enter `tenant_scope(tenant)`; code
below reads `require_tenant()` and never a request global. Leaving the scope
restores whatever was there before, so a thread that handles one message after
another can never carry the previous message's tenant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


class TenantRequired(RuntimeError):
    """A tenant-owned operation ran with no tenant in context."""


@dataclass(frozen=True)
class Tenant:
    """The slice of a tenant that every service needs to route a unit of work."""

    id: str
    slug: str
    status: str = "active"

    @property
    def schema(self) -> str:
        return schema_for(self.slug)

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def schema_for(slug: str) -> str:
    """The PostgreSQL schema that holds this tenant's tables in every service."""
    if not SLUG.match(slug):
        raise ValueError(f"not a tenant slug: {slug!r}")
    return "t_" + slug.replace("-", "_")


_current: ContextVar[Tenant | None] = ContextVar("telecart_tenant", default=None)


def current_tenant() -> Tenant | None:
    return _current.get()


def require_tenant() -> Tenant:
    tenant = _current.get()
    if tenant is None:
        raise TenantRequired("no tenant in context for a tenant-owned operation")
    return tenant


@contextmanager
def tenant_scope(tenant: Tenant | None) -> Iterator[Tenant | None]:
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)
