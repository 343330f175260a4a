"""Reconciling a provider's settlement file with the ledger.

The settlement CSV has one row per money movement the provider settled:
``reference,kind,amount,currency`` (kind ``capture`` or ``refund``). Each is
matched to the ledger entry with the same provider reference: matched when
kind, amount and currency agree, mismatched when they do not, and missing
when only one side has it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from services.payment.models import LedgerEntry, db

SETTLED_KINDS = ("capture", "refund")


@dataclass
class Reconciliation:
    matched: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str, str]] = field(default_factory=list)
    missing_in_ledger: list[str] = field(default_factory=list)
    missing_in_settlement: list[str] = field(default_factory=list)


def reconcile_settlement(provider: str, settlement_csv: str) -> Reconciliation:
    ledger = {
        entry.provider_reference: entry
        for entry in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.provider == provider, LedgerEntry.kind.in_(SETTLED_KINDS)
            )
        )
    }
    result = Reconciliation()
    seen: set[str] = set()

    for row in csv.DictReader(io.StringIO(settlement_csv)):
        reference = row["reference"].strip()
        seen.add(reference)
        entry = ledger.get(reference)
        if entry is None:
            result.missing_in_ledger.append(reference)
            continue
        theirs = f"{row['kind']} {int(row['amount'])} {row['currency'].upper()}"
        ours = f"{entry.kind} {entry.amount} {entry.currency}"
        if ours == theirs:
            result.matched.append(reference)
        else:
            result.mismatched.append((reference, ours, theirs))

    result.missing_in_settlement = sorted(set(ledger) - seen)
    return result


def daily_report(day: date) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Per (provider, kind, currency): number of ledger entries and their sum."""
    start = datetime.combine(day, time.min, UTC)
    rows = db.session.execute(
        select(
            LedgerEntry.provider,
            LedgerEntry.kind,
            LedgerEntry.currency,
            func.count(LedgerEntry.id),
            func.sum(LedgerEntry.amount),
        )
        .where(
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < start + timedelta(days=1),
        )
        .group_by(LedgerEntry.provider, LedgerEntry.kind, LedgerEntry.currency)
        .order_by(LedgerEntry.provider, LedgerEntry.kind, LedgerEntry.currency)
    )
    return {(p, k, c): (int(n), int(total)) for p, k, c, n, total in rows}
