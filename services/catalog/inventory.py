"""Stock per SKU and reservations, safe under concurrent checkouts.

Each function works inside the caller's transaction and never commits, so an
event handler can reserve every line of an order and write its inbox row in
one unit of work.

- Reserving decrements with one conditional UPDATE
  (``on_hand = on_hand - q WHERE on_hand >= q``): the database decides, row
  lock held, so fifty buyers of the last ten units sell exactly ten; a CHECK
  constraint (``on_hand >= 0``) backs it up.
- Reservations are idempotent by (order, line): a repeat returns the first
  outcome; two racing repeats meet the unique constraint and the loser's
  decrement rolls back with its savepoint.
- Releasing flips ``held`` to ``released`` with a conditional UPDATE; only the
  caller that flipped it puts the stock back, so a duplicate release (or a
  release racing the expiry sweeper) adds nothing.
- A SKU is untracked only when its stock row says so (eSIM); an unknown SKU is
  refused, never treated as untracked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.catalog.models import Reservation, StockLevel, StockMovement

log = structlog.get_logger(__name__)

DEFAULT_HOLD = timedelta(minutes=30)


@dataclass(frozen=True)
class ReservationOutcome:
    order_id: str
    line_id: str
    sku: str
    quantity: int
    reserved: bool
    reason: str  # reserved | repeat | insufficient_stock | unknown_sku | <status>
    expires_at: datetime | None = None


OUTSTANDING = ("held", "committed")
"""Reservation states whose stock is out of sale and can still be put back."""


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _existing(session: Session, order_id: str, line_id: str) -> Reservation | None:
    return session.scalars(
        select(Reservation).where(
            Reservation.order_id == order_id, Reservation.line_id == line_id
        )
    ).first()


def _outcome_of(reservation: Reservation) -> ReservationOutcome:
    held = reservation.status in ("held", "committed")
    return ReservationOutcome(
        reservation.order_id,
        reservation.line_id,
        reservation.sku,
        reservation.quantity,
        reserved=held,
        reason="repeat" if held else reservation.status,
        expires_at=reservation.expires_at,
    )


def reserve_line(
    session: Session,
    *,
    order_id: str,
    line_id: str,
    sku: str,
    quantity: int,
    hold_for: timedelta = DEFAULT_HOLD,
    now: datetime | None = None,
) -> ReservationOutcome:
    """Hold ``quantity`` of ``sku`` for one order line, or say why not."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    existing = _existing(session, order_id, line_id)
    if existing is not None:
        return _outcome_of(existing)

    level = session.scalars(select(StockLevel).where(StockLevel.sku == sku)).first()
    if level is None:
        log.warning("stock_reservation_failed", sku=sku, reason="unknown_sku")
        return ReservationOutcome(
            order_id, line_id, sku, quantity, False, "unknown_sku"
        )

    moment = _now(now)
    tracked = level.tracked
    try:
        with session.begin_nested():
            if tracked and not _take(session, sku, quantity):
                log.info(
                    "stock_reservation_failed",
                    sku=sku,
                    order_id=order_id,
                    reason="insufficient_stock",
                )
                return ReservationOutcome(
                    order_id, line_id, sku, quantity, False, "insufficient_stock"
                )
            reservation = Reservation(
                order_id=order_id,
                line_id=line_id,
                sku=sku,
                quantity=quantity,
                tracked=tracked,
                status="held",
                expires_at=moment + hold_for,
                created_at=moment,
            )
            session.add(reservation)
            if tracked:
                session.add(_movement(sku, -quantity, "reserved", order_id, line_id))
            session.flush()
    except IntegrityError:
        # Another worker reserved this very line first; its answer stands.
        existing = _existing(session, order_id, line_id)
        if existing is None:
            raise
        return _outcome_of(existing)

    log.info("stock_reserved", sku=sku, order_id=order_id, line_id=line_id)
    return ReservationOutcome(
        order_id,
        line_id,
        sku,
        quantity,
        True,
        "reserved",
        expires_at=reservation.expires_at,
    )


def _take(session: Session, sku: str, quantity: int) -> bool:
    result = session.execute(
        update(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.on_hand >= quantity)
        .values(on_hand=StockLevel.on_hand - quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _movement(
    sku: str, delta: int, reason: str, order_id: str | None, line_id: str | None
) -> StockMovement:
    return StockMovement(
        sku=sku,
        delta=delta,
        reason=reason,
        order_id=order_id,
        line_id=line_id,
        created_at=datetime.now(UTC),
    )


def release_line(
    session: Session, *, order_id: str, line_id: str, status: str = "released"
) -> bool:
    """Give a held line's stock back once; False if it was not held."""
    reservation = _existing(session, order_id, line_id)
    if reservation is None:
        return False

    flipped = session.execute(
        update(Reservation)
        .where(
            Reservation.order_id == order_id,
            Reservation.line_id == line_id,
            Reservation.status.in_(OUTSTANDING),
        )
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if flipped.rowcount != 1:
        return False

    if reservation.tracked:
        session.execute(
            update(StockLevel)
            .where(StockLevel.sku == reservation.sku)
            .values(on_hand=StockLevel.on_hand + reservation.quantity)
            .execution_options(synchronize_session=False)
        )
        session.add(
            _movement(reservation.sku, reservation.quantity, status, order_id, line_id)
        )
    log.info("stock_released", sku=reservation.sku, order_id=order_id, status=status)
    return True


def release_order(session: Session, order_id: str, status: str = "released") -> int:
    return len(release_order_lines(session, order_id, status))


def release_order_lines(
    session: Session, order_id: str, status: str = "released"
) -> list[dict]:
    """Release every held line of an order; the lines that went back on sale."""
    held = session.execute(
        select(Reservation.line_id, Reservation.sku, Reservation.quantity).where(
            Reservation.order_id == order_id, Reservation.status.in_(OUTSTANDING)
        )
    ).all()
    return [
        {"line_id": row.line_id, "sku": row.sku, "quantity": row.quantity}
        for row in held
        if release_line(session, order_id=order_id, line_id=row.line_id, status=status)
    ]


def commit_order(session: Session, order_id: str) -> int:
    """The order is confirmed: its held lines stop expiring (still releasable
    until dispatch, by a cancellation or a cancelled line)."""
    committed = session.execute(
        update(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == "held")
        .values(status="committed")
        .execution_options(synchronize_session=False)
    )
    log.info("stock_committed", order_id=order_id, lines=committed.rowcount)
    return committed.rowcount


def expired_reservations(
    session: Session, now: datetime | None = None, limit: int = 500
) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Reservation.order_id, Reservation.line_id)
        .where(Reservation.status == "held", Reservation.expires_at < _now(now))
        .order_by(Reservation.expires_at)
        .limit(limit)
    )
    return [(row.order_id, row.line_id) for row in rows]


class StockNotAdjustable(Exception):
    """Unknown SKU, an untracked SKU, or a change that would go below zero."""


def adjust_stock(session: Session, sku: str, delta: int, reason: str) -> int:
    """Add or remove units atomically (no lost update); return the new level."""
    level = stock_of(session, sku)
    if level is None or not level.tracked:
        raise StockNotAdjustable(f"{sku} is {'untracked' if level else 'unknown'}")

    on_hand = session.execute(
        update(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.on_hand + delta >= 0)
        .values(on_hand=StockLevel.on_hand + delta)
        .returning(StockLevel.on_hand)
        .execution_options(synchronize_session=False)
    ).scalar()
    if on_hand is None:
        raise StockNotAdjustable(f"{sku} would go below zero")
    session.add(_movement(sku, delta, reason, None, None))
    log.info("stock_adjusted", sku=sku, delta=delta, on_hand=on_hand, reason=reason)
    return on_hand


def stock_of(session: Session, sku: str) -> StockLevel | None:
    return session.scalars(select(StockLevel).where(StockLevel.sku == sku)).first()
