"""Reading the audit trail (the views of both blueprints call this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.tenant.models import AuditEntry


def query(w, filters: dict[str, Any]) -> list[AuditEntry]:
    statement = (
        select(AuditEntry)
        .where(AuditEntry.seq > filters.get("after_seq", 0))
        .order_by(AuditEntry.seq)
        .limit(filters.get("limit", 100))
    )
    if filters.get("tenant_id"):
        statement = statement.where(AuditEntry.tenant_id == filters["tenant_id"])
    if filters.get("action"):
        statement = statement.where(AuditEntry.action == filters["action"])
    return list(w.db.session.scalars(statement))
