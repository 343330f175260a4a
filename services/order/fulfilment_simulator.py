"""A built-in fulfilment system for brands that have none (the embedded default).

Instead of calling a warehouse and a network over HTTP, the simulator accepts
every line at once and then plays back, one step at a time, the status
updates a real fulfilment system would send for it: the SIM or device
dispatched with a tracking number, the eSIM code sent, the number assigned
(or the port-in scheduled and completed), the line activated. ``tick`` asks
``due_updates`` for what is due and applies each update exactly as a signed
callback is applied (the same schema, the same ``apply_fulfilment_callback``),
so the saga cannot tell the difference. Each update has a fixed callback id,
so applying one twice is a duplicate, and a restart carries on from the
line's milestones alone: nothing is kept in memory.

A brand uses it when its order settings say ``fulfilment_mode = "simulator"``,
or when it has no fulfilment URL and no mode; either way only on a platform
that allows it (``ORDER_FULFILMENT_SIMULATOR=1``, set by ``telecart run`` and
refused in production).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.order.fulfilment import (
    AlreadyDispatched,
    FulfilmentUnavailable,
    line_items,
)
from services.order.models import Order, OrderLine, OrderSaga, OrderSettings

log = structlog.get_logger(__name__)

REFERENCE_PREFIX = "sim-"
STEP_S = 1.0  # between two updates of one line: the journey watches each one
DISPATCH_EVENTS = ("device_shipped", "sim_dispatched", "esim_code_sent")


def simulates(settings: OrderSettings, allowed: bool) -> bool:
    """Whether this brand's lines go to the simulator rather than over HTTP."""
    if settings.fulfilment_mode == "http":
        return False
    if settings.fulfilment_mode == "simulator" and not allowed:
        raise FulfilmentUnavailable(
            "the fulfilment simulator is off on this platform "
            "(ORDER_FULFILMENT_SIMULATOR)"
        )
    if settings.fulfilment_mode == "simulator":
        return True
    return allowed and not settings.fulfilment_base_url


class SimulatedFulfilment:
    """The adapter ``saga_fulfilment`` submits to; it answers like the real one."""

    def submit(self, order: Order, line: OrderLine) -> str:
        reference = REFERENCE_PREFIX + line.id
        log.info(
            "fulfilment_simulated",
            order_id=order.id,
            line_id=line.id,
            steps=[u["event"] for u in script(order, line)],
        )
        return reference

    def cancel(self, line: OrderLine) -> None:
        """Nothing to withdraw until something left the (imaginary) warehouse."""
        if any(kind in (line.milestones or {}) for kind in DISPATCH_EVENTS):
            raise AlreadyDispatched("the simulated line was already dispatched")


def script(order: Order, line: OrderLine) -> list[dict[str, Any]]:
    """Every update the line will get, in the order a real system sends them."""
    updates: list[dict[str, Any]] = []
    for item in line_items(order, line):
        kind = item["kind"]
        if kind == "device_shipment":
            updates.append(_shipped("device_shipped", line, "D"))
        elif kind == "sim_dispatch":
            updates.append(_shipped("sim_dispatched", line, "S"))
        elif kind == "esim_activation":
            updates.append({"event": "esim_code_sent"})
        elif kind == "number_assignment":
            updates.append({"event": "number_assigned", "msisdn": _number(line)})
        elif kind == "port_in":
            updates.append({"event": "port_scheduled"})
            updates.append({"event": "port_completed", "msisdn": item["msisdn"]})
        elif kind == "line_activation":
            updates.append({"event": "line_activated"})
    for update in updates:
        update.update(
            callback_id=f"sim:{line.id}:{update['event']}",
            order_id=order.id,
            line_id=line.id,
        )
    return updates


def due_updates(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The next update of every simulated line whose previous step is STEP_S old.

    Reads only: the caller applies each update in its own transaction.
    """
    orders = session.scalars(
        select(Order)
        .join(OrderSaga, OrderSaga.order_id == Order.id)
        .where(OrderSaga.status == "running", OrderSaga.step == "fulfil")
    ).all()
    due = []
    for order in orders:
        for line in order.lines:
            if not _simulated(line) or line.status not in ("submitted", "dispatched"):
                continue
            update = _next_update(order, line, now)
            if update is not None:
                due.append(update)
    session.rollback()
    return due


def _simulated(line: OrderLine) -> bool:
    return (line.fulfilment_ref or "").startswith(REFERENCE_PREFIX)


def _next_update(order: Order, line: OrderLine, now: datetime) -> dict | None:
    milestones = line.milestones or {}
    pending = [u for u in script(order, line) if u["event"] not in milestones]
    if not pending:
        return None
    times = [_aware(datetime.fromisoformat(at)) for at in milestones.values()]
    last = max(times, default=_aware(order.confirmed_at or now))
    return pending[0] if now >= last + timedelta(seconds=STEP_S) else None


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _shipped(event: str, line: OrderLine, kind: str) -> dict[str, Any]:
    return {
        "event": event,
        "tracking_number": f"SIM{kind}{_digits(line.id, 9)}GB",
        "carrier": "Simulated Post",
    }


def _number(line: OrderLine) -> str:
    """A number from Ofcom's drama range (07700 900000-900999): never a real one."""
    return "07700900" + _digits(line.id, 3)


def _digits(seed: str, count: int) -> str:
    value = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(value % 10**count).zfill(count)
