"""Abandoned baskets: found once, announced once; the brand's abandonment rate."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from flask import Flask
from sqlalchemy import func, select, update

from services.basket import events, service
from services.basket.models import CHECKED_OUT, OPEN, Basket, db
from shared.http.app import runtime
from shared.tenancy.context import tenant_scope

log = structlog.get_logger(__name__)


def abandon_idle_baskets(now: datetime) -> list[dict[str, Any]]:
    """Mark every open basket idle past the brand's delay, once, and announce it.

    The conditional UPDATE (``abandoned_at IS NULL``) is the "once": two runs
    at the same time cannot both claim a basket. The event commits with it.
    """
    delay = timedelta(minutes=service.brand_terms().abandon_after_minutes)
    idle = db.session.scalars(
        select(Basket)
        .where(
            Basket.status == OPEN,
            Basket.abandoned_at.is_(None),
            Basket.updated_at < now - delay,
            Basket.bundles.any(),
        )
        .order_by(Basket.updated_at)
        .limit(500)
    ).all()

    announced = []
    for basket in idle:
        claimed = db.session.execute(
            update(Basket)
            .where(Basket.id == basket.id, Basket.abandoned_at.is_(None))
            .values(abandoned_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        payload = {
            "basket_id": basket.id,
            "customer_id": basket.customer_id,
            "channel": basket.channel,
            "idle_since": basket.updated_at.isoformat(),
            "lines": len(basket.bundles),
        }
        if basket.contact:
            payload["contact"] = dict(basket.contact)
        events.emit(db.session, "basket.abandoned", payload)
        announced.append(payload)

    db.session.commit()
    log.info("baskets_abandoned", count=len(announced))
    return announced


def abandon_for_every_brand(app: Flask, now: datetime) -> dict[str, int]:
    """``telecart basket abandon``: every active brand, one transaction each."""
    counts = {}
    for tenant in runtime(app).registry.all():
        if not tenant.is_active:
            continue
        with app.app_context(), tenant_scope(tenant):
            counts[tenant.slug] = len(abandon_idle_baskets(now))
            db.session.remove()
    return counts


def abandonment_rate(since: datetime) -> dict[str, Any]:
    """Of the baskets that held something since ``since``: how many were left."""

    def count(*conditions: Any) -> int:
        return db.session.scalar(
            select(func.count(Basket.id)).where(
                Basket.created_at >= since, Basket.bundles.any(), *conditions
            )
        )

    total = count()
    abandoned = count(Basket.abandoned_at.is_not(None))
    checked_out = count(Basket.status == CHECKED_OUT)
    return {
        "since": since.isoformat(),
        "baskets": total,
        "abandoned": abandoned,
        "checked_out": checked_out,
        "rate": round(abandoned / total, 4) if total else 0.0,
    }
