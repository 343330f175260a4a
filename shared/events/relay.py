"""The outbox relay: claim unsent rows under a lease, publish, mark sent.

A row is marked sent only after the transport confirmed it (for RabbitMQ:
the broker's publisher confirm). A relay that dies holding a lease leaves its
rows to any other relay once the lease expires; on PostgreSQL rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so two relays never claim the same
row at once. A crash between the confirm and the mark re-sends the event;
the consumers' inbox makes that harmless.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from shared.events import metrics
from shared.events.tables import inbox, outbox

log = structlog.get_logger(__name__)


class PublishRefused(Exception):
    """The transport refused this one message (nack, unroutable); try it later."""


class BrokerUnavailable(Exception):
    """The transport is unreachable; stop the batch and reconnect."""


class Publisher(Protocol):
    def publish(
        self, body: str, *, event_id: str, event_type: str, tenant_id: str
    ) -> None: ...

    def close(self) -> None: ...


@dataclass
class RelayResult:
    claimed: int = 0
    sent: int = 0
    refused: int = 0


def utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OutboxRelay:
    """Relay one service database's outbox through ``publisher``."""

    def __init__(
        self,
        engine: Engine,
        service: str,
        publisher: Publisher,
        *,
        lease_s: float = 30.0,
        batch_size: int = 100,
        relay_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.service = service
        self.publisher = publisher
        self.lease = timedelta(seconds=lease_s)
        self.batch_size = batch_size
        self.pauses = 0
        self.relay_id = relay_id or (
            f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )

    def claim(self) -> list[Any]:
        """Lease up to a batch of due rows to this relay, oldest first."""
        now = utcnow()
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.sent_at.is_(None),
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            )
            .order_by(outbox.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as connection:
            ids = list(connection.execute(due).scalars())
            if not ids:
                return []
            connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(claimed_by=self.relay_id, lease_until=now + self.lease)
            )
            return list(
                connection.execute(
                    select(
                        outbox.c.id,
                        outbox.c.event_id,
                        outbox.c.event_type,
                        outbox.c.tenant_id,
                        outbox.c.envelope,
                        outbox.c.attempts,
                    )
                    .where(outbox.c.id.in_(ids))
                    .order_by(outbox.c.id)
                )
            )

    def relay_once(self) -> RelayResult:
        """Publish one claimed batch; raise BrokerUnavailable if the link fails."""
        rows = self.claim()
        result = RelayResult(claimed=len(rows))
        confirmed: list[int] = []
        try:
            for row in rows:
                try:
                    self.publisher.publish(
                        row.envelope,
                        event_id=row.event_id,
                        event_type=row.event_type,
                        tenant_id=row.tenant_id,
                    )
                except PublishRefused as exc:
                    result.refused += 1
                    self._postpone(row, str(exc))
                    continue
                confirmed.append(row.id)
                metrics.PUBLISHED.labels(self.service, row.event_type).inc()
        except BrokerUnavailable:
            self._release([r.id for r in rows if r.id not in set(confirmed)])
            raise
        finally:
            self._mark_sent(confirmed)
            result.sent = len(confirmed)
        return result

    def _mark_sent(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(
                    sent_at=utcnow(),
                    claimed_by=None,
                    lease_until=None,
                    attempts=outbox.c.attempts + 1,
                )
            )

    def _postpone(self, row: Any, error: str) -> None:
        """Back off a refused row (e.g. no queue bound yet) without blocking others."""
        delay = min(2 ** min(row.attempts, 8), 300)
        metrics.PUBLISH_FAILED.labels(self.service, row.event_type).inc()
        log.warning(
            "event_publish_refused",
            service=self.service,
            event_type=row.event_type,
            event_id=row.event_id,
            error=error,
            retry_in_s=delay,
        )
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(
                    attempts=outbox.c.attempts + 1,
                    claimed_by=None,
                    lease_until=utcnow() + timedelta(seconds=delay),
                    last_error=error[:300],
                )
            )

    def _release(self, ids: list[int]) -> None:
        """Give the lease back at once so the rows go out after reconnecting."""
        if not ids:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids), outbox.c.claimed_by == self.relay_id)
                    .values(claimed_by=None, lease_until=None)
                )
        except SQLAlchemyError as exc:  # the lease expires by itself
            log.warning("outbox_release_failed", error=repr(exc)[:300])

    def prune(
        self,
        sent_retention: timedelta = timedelta(days=7),
        inbox_retention: timedelta = timedelta(days=30),
    ) -> tuple[int, int]:
        """Delete old sent outbox rows and old inbox rows; return both counts.

        The inbox must outlive any redelivery it guards against; a month is
        far beyond the broker's retry and dead-letter horizon.
        """
        now = utcnow()
        with self.engine.begin() as connection:
            sent = connection.execute(
                delete(outbox).where(outbox.c.sent_at < now - sent_retention)
            ).rowcount
            seen = connection.execute(
                delete(inbox).where(inbox.c.applied_at < now - inbox_retention)
            ).rowcount
        if sent or seen:
            log.info(
                "event_tables_pruned", service=self.service, outbox=sent, inbox=seen
            )
        return sent, seen

    def measure_backlog(self) -> tuple[int, float]:
        """(unsent rows, age in seconds of the oldest), also set as gauges."""
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.sent_at.is_(None)
                )
            ).one()
        age = (utcnow() - _as_utc(oldest)).total_seconds() if oldest else 0.0
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return count, age

    def run(self, stop: threading.Event, idle_s: float = 0.2) -> None:
        """Relay until ``stop`` is set, reconnecting with backoff on failures."""
        backoff = 0.5
        pruned_at = 0.0
        while not stop.is_set():
            try:
                result = self.relay_once()
                self.measure_backlog()
                if time.monotonic() - pruned_at > 3600:
                    self.prune()
                    pruned_at = time.monotonic()
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - the relay outlives any failure
                self.pauses += 1
                log.warning(
                    "relay_paused",
                    service=self.service,
                    error=repr(exc)[:300],
                    retry_in_s=backoff,
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if result.claimed < self.batch_size:
                getattr(self.publisher, "heartbeat", lambda: None)()
                stop.wait(idle_s)
        self.publisher.close()
