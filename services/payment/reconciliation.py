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

from sqlalchemy import select

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
