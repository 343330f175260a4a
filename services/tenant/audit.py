"""The audit trail: append-only, each entry chained to the one before by a hash.

Every write by staff or an operator adds an entry in the same transaction as
the write. ``hash = sha256(prev_hash + canonical JSON of the entry)``; the
verifier recomputes the chain, so a changed entry breaks its own hash and a
deleted one breaks its successor's ``prev_hash`` (and leaves a gap in ``seq``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.tenant.models import AuditEntry

log = structlog.get_logger(__name__)

GENESIS = "0" * 64
_LOCK_KEY = 7_301_001  # one PostgreSQL advisory lock serialises the chain


@dataclass(frozen=True)
class Actor:
    """Who acts: a token subject (or a CLI user) and the roles it held."""

    subject: str
    roles: tuple[str, ...] = ()
    tenant_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Actor:
        tid = claims.get("tid")
        return cls(
            subject=str(claims["sub"]),
            roles=tuple(claims.get("roles", [])),
            tenant_id=None if tid == "platform" else tid,
        )


def _moment(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        {
            "seq": entry.seq,
            "at": _moment(entry.at),
            "actor": entry.actor,
            "actor_roles": list(entry.actor_roles or []),
            "tenant_id": entry.tenant_id,
            "action": entry.action,
            "target": entry.target,
            "before": entry.before,
            "after": entry.after,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    *,
    tenant_id: str | None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one entry; the caller's commit makes it durable with the write."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k)").execution_options(
                raw_sql_reason="serialise the audit hash chain"
            ),
            {"k": _LOCK_KEY},
        )
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    prev_seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)

    entry = AuditEntry(
        seq=prev_seq + 1,
        at=datetime.now(UTC),
        actor=actor.subject,
        actor_roles=list(actor.roles),
        tenant_id=tenant_id,
        action=action,
        target=target,
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = entry_hash(prev_hash, entry)
    session.add(entry)

    # The head of the chain also goes to the log stream, outside the database:
    # an operator can compare it with `audit verify` to catch a cut-off tail.
    log.info("audit_appended", seq=entry.seq, hash=entry.hash, action=action)
    return entry


def _jsonable(value: dict | None) -> dict | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; name each entry that does not fit."""
    report = ChainReport()
    prev_hash, expected_seq = GENESIS, 1
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"entries {expected_seq}..{entry.seq - 1} are missing (deleted)"
            )
        if entry.prev_hash != prev_hash:
            report.problems.append(
                f"entry {entry.seq}: prev_hash does not match entry {entry.seq - 1}"
            )
        if entry_hash(entry.prev_hash, entry) != entry.hash:
            report.problems.append(f"entry {entry.seq}: content was changed")
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    report.head_seq, report.head_hash = expected_seq - 1, prev_hash
    return report


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited view of a row: named fields only, never a secret."""
    return {name: getattr(row, name) for name in fields}
