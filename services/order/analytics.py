"""Order analytics for the brand's staff: per day and channel, and overall.

Revenue counts what is due today on orders that were not cancelled (the
monthly part is reported beside it); the average order value divides that by
the same orders. Rates are shares of all orders placed in the window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from services.order.models import Order, OrderReturn
from shared.tenancy.context import require_tenant


def summary(session: Session, since: date | None, until: date | None) -> dict[str, Any]:
    until = until or date.today()
    since = since or until - timedelta(days=30)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    in_window = (Order.created_at >= start) & (Order.created_at < end)
    kept = Order.status != "cancelled"
    day = func.date(Order.created_at)

    rows = session.execute(
        select(
            day.label("day"),
            Order.channel,
            func.count(Order.id),
            func.sum(case((kept, Order.due_today), else_=0)),
            func.sum(case((kept, Order.monthly), else_=0)),
            func.sum(case((kept, 1), else_=0)),
        )
        .where(in_window)
        .group_by(day, Order.channel)
        .order_by(day, Order.channel)
    ).all()

    per_day = [
        {
            "day": str(row[0]),
            "channel": row[1],
            "orders": row[2],
            "revenue_due_today": int(row[3] or 0),
            "revenue_monthly": int(row[4] or 0),
            "average_order_value": _share(row[3] or 0, row[5]),
        }
        for row in rows
    ]
    orders = sum(row[2] for row in rows)
    kept_orders = sum(row[5] or 0 for row in rows)
    revenue = sum(int(row[3] or 0) for row in rows)
    cancelled = orders - kept_orders
    returned = session.scalar(
        select(func.count(distinct(OrderReturn.order_id)))
        .join(Order, Order.id == OrderReturn.order_id)
        .where(in_window)
    )
    return {
        "tenant": require_tenant().slug,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "per_day_and_channel": per_day,
        "orders": orders,
        "revenue_due_today": revenue,
        "average_order_value": _share(revenue, kept_orders),
        "cancellation_rate": round(cancelled / orders, 4) if orders else 0.0,
        "return_rate": round((returned or 0) / orders, 4) if orders else 0.0,
    }


def _share(amount: int, count: int | None) -> int:
    return round(amount / count) if count else 0
