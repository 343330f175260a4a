"""Data access with two layers of tenant isolation.

Layer 1 (PostgreSQL): every tenant-owned table is declared in the symbolic
schema ``tenant``. The session's bind is chosen per unit of work: an engine
whose ``schema_translate_map`` points ``tenant`` at the current tenant's real
schema. The map is applied when each statement is compiled, so it survives
commits, refreshes and lazy loads and is never left behind on a pooled
connection. With no tenant in context the symbolic schema does not exist, and
a routing miss fails loudly instead of reading shared rows.

Layer 2 (everywhere, the only layer on SQLite): every tenant-owned row has a
``tenant_id``; a session hook adds ``tenant_id = <current>`` to every ORM
select, update, delete and relationship load, stamps new rows, and refuses any
tenant-owned statement that runs with no tenant in context.
"""

from shared.db.session import (
    TENANT_SCHEMA,
    CrossTenantWrite,
    RawSQLRefused,
    TenantOwned,
    TenantSession,
    TenantSwitchInTransaction,
    engine_options,
    make_db,
    routed_bind,
    tenant_table_args,
)

__all__ = [
    "TENANT_SCHEMA",
    "CrossTenantWrite",
    "RawSQLRefused",
    "TenantOwned",
    "TenantSession",
    "TenantSwitchInTransaction",
    "engine_options",
    "make_db",
    "routed_bind",
    "tenant_table_args",
]
