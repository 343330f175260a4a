"""Per-brand usage per day (orders, active baskets, API requests), for billing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.tenant.models import UsageCount

METRICS = ("orders", "active_baskets", "api_requests")


def count_usage(
    connection: Connection,
    tenant_id: str,
    metric: str,
    amount: int = 1,
    day: date | None = None,
) -> None:
    """Add ``amount`` to today's counter in one upsert (safe under concurrency)."""
    if metric not in METRICS:
        raise ValueError(f"unknown usage metric {metric!r}")
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = UsageCount.__table__
    statement = dialect.insert(table).values(
        tenant_id=tenant_id,
        day=day or datetime.now(UTC).date(),
        metric=metric,
        count=amount,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "day", "metric"],
        set_={"count": table.c.count + statement.excluded.count},
    )
    connection.execute(statement)


def usage_report(
    session: Session, tenant_id: str, since: date, until: date
) -> list[dict]:
    """One row per day with every metric, zero where nothing was counted."""
    rows = session.execute(
        select(UsageCount.day, UsageCount.metric, UsageCount.count)
        .where(
            UsageCount.tenant_id == tenant_id,
            UsageCount.day >= since,
            UsageCount.day <= until,
        )
        .order_by(UsageCount.day)
    ).all()
    days: dict[date, dict] = {}
    for row in rows:
        days.setdefault(row.day, {m: 0 for m in METRICS})[row.metric] = row.count
    return [{"day": day.isoformat(), **counts} for day, counts in days.items()]
