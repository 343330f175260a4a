"""Tenancy: which brand a unit of work belongs to, and keeping it there."""

from shared.tenancy.context import (
    Tenant,
    TenantRequired,
    current_tenant,
    require_tenant,
    tenant_scope,
)

__all__ = [
    "Tenant",
    "TenantRequired",
    "current_tenant",
    "require_tenant",
    "tenant_scope",
]
