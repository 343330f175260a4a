"""The fulfilment step of the saga: submit lines, apply callbacks, roll up.

Per line: ``pending``/``reserved`` -> ``submitted`` -> ``dispatched`` (SIM
posted, eSIM code sent or device shipped) -> ``active`` (line activated),
or ``failed``. A device-only line is settled once ``dispatched``.

The order rolls up once every line is settled: all good -> ``completed``;
some failed -> ``partial`` (failed lines' stock released and their money
refunded); all failed before anything left the warehouse -> the saga fails
and compensates like any other failure. The first dispatch requests the
capture of the authorised amount.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from services.order import events, fulfilment_simulator, saga
from services.order.fulfilment import (
    FulfilmentAdapter,
    FulfilmentRefused,
    FulfilmentUnavailable,
)
from services.order.models import Order, OrderLine, OrderSaga
from services.order.saga_state import note
from services.order.timeline import already_handled, notify, now_utc

log = structlog.get_logger(__name__)

MAX_SUBMISSIONS = 3
DISPATCH_EVENTS = ("sim_dispatched", "esim_code_sent", "device_shipped")
UPDATE_EVENTS = (
    *DISPATCH_EVENTS,
    "delivered",
    "number_assigned",
    "port_scheduled",
    "port_completed",
    "line_activated",
    "failed",
)


def http_timeout() -> float:
    if has_app_context() and "telecart" in current_app.extensions:
        return current_app.extensions["telecart"].settings.http_timeout_s
    return 2.0


def simulator_allowed() -> bool:
    """The platform's ORDER_FULFILMENT_SIMULATOR (``telecart run`` sets it)."""
    if has_app_context() and "telecart" in current_app.extensions:
        settings = current_app.extensions["telecart"].settings
        return getattr(settings, "order_fulfilment_simulator", False)
    return False


def adapter_for(
    session: Session,
) -> FulfilmentAdapter | fulfilment_simulator.SimulatedFulfilment:
    settings = saga.settings_for(session)
    if fulfilment_simulator.simulates(settings, simulator_allowed()):
        return fulfilment_simulator.SimulatedFulfilment()
    return FulfilmentAdapter.for_brand(settings, http_timeout())


def is_settled(line: OrderLine) -> bool:
    if line.status in ("active", "failed", "cancelled", "returned"):
        return True
    return line.kind == "device" and line.status == "dispatched"


def submit_lines(
    session: Session, order_id: str, adapter: FulfilmentAdapter | None = None
) -> int:
    """Send every unsubmitted line of a confirmed order; how many went.

    The HTTP calls run before the saga row is locked (they may take
    seconds); the results are applied under the lock, and a line someone
    else submitted or cancelled meanwhile is left alone. Submissions are
    idempotent by line id, so sending one twice is harmless.
    """
    order = session.get(Order, order_id)
    if order is None or not _fulfilling(order.saga):
        return 0
    lines = [ln for ln in order.lines if _awaits_submission(ln)]
    if not lines:
        return 0

    results: dict[str, tuple[str, str]] = {}
    try:
        adapter = adapter or adapter_for(session)
    except FulfilmentUnavailable as exc:
        results = {ln.id: ("unavailable", str(exc)) for ln in lines}
    else:
        for line in lines:
            results[line.id] = _submit_one(adapter, order, line)

    locked = saga.lock_saga(session, order_id)
    if locked is None or not _fulfilling(locked):
        return 0
    now = now_utc()
    sent = 0
    for line in locked.order.lines:
        if line.id not in results or not _awaits_submission(line):
            continue
        outcome, detail = results[line.id]
        sent += _apply_submission(session, locked, line, outcome, detail)
    roll_up(session, locked, locked.order, now)
    return sent


def _fulfilling(state: OrderSaga | None) -> bool:
    return state is not None and state.status == "running" and state.step == "fulfil"


def _awaits_submission(line: OrderLine) -> bool:
    return line.status in ("pending", "reserved") and (
        line.fulfilment_attempts < MAX_SUBMISSIONS
    )


def _submit_one(
    adapter: FulfilmentAdapter, order: Order, line: OrderLine
) -> tuple[str, str]:
    try:
        return "accepted", adapter.submit(order, line)
    except FulfilmentRefused as exc:
        return "refused", str(exc)
    except FulfilmentUnavailable as exc:
        return "unavailable", str(exc)


def _apply_submission(
    session: Session, state: OrderSaga, line: OrderLine, outcome: str, detail: str
) -> int:
    line.fulfilment_attempts += 1
    if outcome == "accepted":
        line.status = "submitted"
        line.fulfilment_ref = detail
        note(
            session,
            state,
            "line_submitted",
            line_id=line.id,
            fulfilment_ref=detail,
        )
        return 1

    gave_up = outcome == "refused" or line.fulfilment_attempts >= MAX_SUBMISSIONS
    note(
        session,
        state,
        "line_submission_failed",
        "failed" if gave_up else "retry",
        line_id=line.id,
        detail=detail,
        attempt=line.fulfilment_attempts,
    )
    if gave_up:
        line.status = "failed"
        line.failure_reason = f"fulfilment {outcome}: {detail}"
    return 0


def apply_update(session: Session, order_id: str, update: dict[str, Any]) -> str:
    """Apply one status callback; the outcome written to the timeline."""
    state = saga.lock_saga(session, order_id)
    if state is None:
        return "unknown_order"
    event_id = f"fulfilment:{update['callback_id']}"
    if already_handled(session, order_id, event_id):
        return "duplicate"

    order = state.order
    now = now_utc()
    line = next((ln for ln in order.lines if ln.id == update.get("line_id")), None)
    kind = update.get("event")
    if line is None or kind not in UPDATE_EVENTS:
        note(
            session,
            state,
            "fulfilment_update",
            "ignored",
            event_id=event_id,
            update=kind,
        )
        return "ignored"
    if line.status in ("cancelled", "returned", "failed") or state.status in (
        "compensating",
        "cancelled",
    ):
        note(
            session,
            state,
            f"fulfilment_{kind}",
            "ignored",
            event_id=event_id,
            line_id=line.id,
        )
        return "ignored"

    note(
        session,
        state,
        f"fulfilment_{kind}",
        event_id=event_id,
        line_id=line.id,
        **{
            k: update[k]
            for k in ("tracking_number", "msisdn", "reason")
            if update.get(k)
        },
    )
    _apply_line_update(session, state, order, line, kind, update, now)
    roll_up(session, state, order, now)
    return "applied"


def _apply_line_update(
    session: Session,
    state: OrderSaga,
    order: Order,
    line: OrderLine,
    kind: str,
    update: dict[str, Any],
    now: datetime,
) -> None:
    line.milestones = {**(line.milestones or {}), kind: now.isoformat()}
    if kind in DISPATCH_EVENTS:
        _dispatched(session, state, order, line, kind, update, now)
    elif kind == "delivered":
        line.delivered_at = line.delivered_at or now
    elif kind in ("number_assigned", "port_completed"):
        line.msisdn = update.get("msisdn") or line.msisdn
    elif kind == "line_activated":
        line.msisdn = update.get("msisdn") or line.msisdn
        _activated(session, state, order, line, now)
    elif kind == "failed":
        line.status = "failed"
        line.failure_reason = update.get("reason") or "fulfilment failed"


def _dispatched(
    session: Session,
    state: OrderSaga,
    order: Order,
    line: OrderLine,
    kind: str,
    update: dict[str, Any],
    now: datetime,
) -> None:
    if line.status in ("pending", "reserved", "submitted"):
        line.status = "dispatched"
    line.dispatched_at = line.dispatched_at or now
    if update.get("tracking_number"):
        line.tracking_number = update["tracking_number"]
    if order.status == "confirmed":
        order.status = "in_fulfilment"

    recipient = line.esim_email if kind == "esim_code_sent" else None
    events.emit(
        session,
        "order.shipped",
        {
            "order_id": order.id,
            "order_number": order.number,
            "line_id": line.id,
            "item": kind,
            "tracking_number": update.get("tracking_number"),
            "carrier": update.get("carrier"),
            "customer_email": recipient or order.customer_email,
        },
    )
    subject = (
        "Your eSIM activation code is on its way"
        if kind == "esim_code_sent"
        else f"Part of order {order.number} has shipped"
    )
    notify(session, order, f"order.shipped:{kind}", subject, recipient, at=now)

    if order.first_shipped_at is None:
        order.first_shipped_at = now
        saga.request_capture(session, state, order, now)


def _activated(
    session: Session, state: OrderSaga, order: Order, line: OrderLine, now: datetime
) -> None:
    if line.status == "active":
        return
    line.status = "active"
    line.activated_at = now
    events.emit(
        session,
        "order.line_activated",
        {
            "order_id": order.id,
            "order_number": order.number,
            "line_id": line.id,
            "msisdn": line.msisdn,
            "currency": order.currency,
            "customer_id": order.customer_id,
            "mandate_id": state.mandate_id,
            "monthly_amount": line.monthly,
            "plan": {"code": line.product_code, "term_months": line.plan_term_months},
            "addons": list(line.addons or []),
            "instalments": (
                {
                    "sku": line.sku,
                    "amount": line.instalment_amount,
                    "months": line.instalment_months,
                }
                if line.instalment_months
                else None
            ),
            "components": _subscription_components(line),
            "payment_method": dict(order.payment_method),
            "activated_at": now.isoformat(),
            "activated_on": now.date().isoformat(),
        },
    )
    notify(
        session,
        order,
        "order.line_activated",
        f"Your line {line.msisdn or ''} is active".strip(),
    )


def _subscription_components(line: OrderLine) -> list[dict[str, Any]]:
    """What billing charges each month for the line (add-ons priced in the plan)."""
    instalment = line.instalment_amount if line.instalment_months else 0
    components = [
        {
            "code": line.product_code,
            "kind": "plan",
            "amount": line.monthly - (instalment or 0),
            "term_months": line.plan_term_months,
        }
    ]
    if instalment:
        components.append(
            {
                "code": line.sku,
                "kind": "instalment",
                "amount": instalment,
                "term_months": line.instalment_months,
            }
        )
    return components


def roll_up(session: Session, state: OrderSaga, order: Order, now: datetime) -> None:
    """Settle the order once every line is settled."""
    if not _fulfilling(state) or not all(is_settled(ln) for ln in order.lines):
        return

    failed = [ln for ln in order.lines if ln.status == "failed"]
    anything_left = any(ln.dispatched_at is not None for ln in order.lines)
    if failed and not anything_left:
        note(session, state, "all_lines_failed", "failed")
        saga.fail(session, state, order, "fulfilment_failed", now)
        return

    state.step = "done"
    state.status = "completed"
    state.deadline_at = None
    order.closed_at = now
    if not failed:
        order.status = "completed"
        events.emit(
            session,
            "order.completed",
            {
                "order_id": order.id,
                "order_number": order.number,
                "customer_email": order.customer_email,
            },
        )
        notify(
            session,
            order,
            "order.completed",
            f"Order {order.number} is complete",
        )
        note(session, state, "order_completed")
        return

    order.status = "partial"
    for line in failed:
        _settle_failed_line(session, state, order, line, now)
    events.emit(
        session,
        "order.partially_completed",
        {
            "order_id": order.id,
            "order_number": order.number,
            "customer_email": order.customer_email,
            "failed_lines": [
                {"line_id": ln.id, "reason": ln.failure_reason} for ln in failed
            ],
        },
    )
    notify(
        session,
        order,
        "order.partially_completed",
        f"Part of order {order.number} could not be completed",
    )
    note(
        session,
        state,
        "order_partially_completed",
        failed_lines=[ln.id for ln in failed],
    )


def _settle_failed_line(
    session: Session, state: OrderSaga, order: Order, line: OrderLine, now: datetime
) -> None:
    """Give back what a failed line holds: its unshipped stock and its money.

    A device that already shipped stays with the customer (they may return
    it in the cooling-off period), so neither its stock nor its price is
    given back here.
    """
    device_shipped = line.milestones.get("device_shipped") is not None
    if line.sku and not device_shipped:
        events.emit(
            session,
            "order.line_cancelled",
            {
                "order_id": order.id,
                "line_id": line.id,
                "sku": line.sku,
                "quantity": 1,
                "reason": "line_failed",
            },
        )
    if state.payment in saga.TAKEN_PAYMENT and not device_shipped:
        saga.request_refund(
            session,
            state,
            order,
            now,
            amount=line.due_today,
            key=f"line:{line.id}",
            reason="line_failed",
        )
