"""The in-process transport: the embedded default and the services' tests.

Events still go through each service's outbox and each consumer's inbox, with
the same retries and dead letters as on RabbitMQ; only the broker is a set of
in-memory queues. ``drain()`` relays every outbox and delivers every pending
message until nothing moves; ``start()`` does that in a background thread
(``telecart run``).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from flask import Flask

from shared.events import metrics
from shared.events.envelope import DeadLetter
from shared.events.handlers import topic_matches
from shared.events.processing import EventProcessor, Outcome
from shared.events.relay import OutboxRelay, PublishRefused
from shared.http.app import runtime

log = structlog.get_logger(__name__)


@dataclass
class _Message:
    body: str
    event_id: str
    event_type: str
    tenant_id: str | None
    attempts: int = 1
    error: str = ""


@dataclass
class DrainReport:
    published: int = 0
    applied: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0
    rounds: int = 0
    applied_ids: list[str] = field(default_factory=list)


class _InProcessPublisher:
    def __init__(self, bus: InProcessBus) -> None:
        self.bus = bus

    def publish(
        self, body: str, *, event_id: str, event_type: str, tenant_id: str
    ) -> None:
        self.bus._route(_Message(body, event_id, event_type, tenant_id))

    def close(self) -> None:
        pass


class InProcessBus:
    """Outboxes, queues and consumers of several service apps in one process."""

    def __init__(
        self,
        apps: Iterable[Flask] | Mapping[str, Flask],
        *,
        max_attempts: int | None = None,
    ) -> None:
        apps = getattr(apps, "apps", apps)  # a PlatformDispatcher works too
        if isinstance(apps, Mapping):
            apps = apps.values()
        self.apps = list(apps)
        self._lock = threading.RLock()
        self._processors: dict[str, EventProcessor] = {}
        self._relays: dict[str, OutboxRelay] = {}
        self._queues: dict[str, deque[_Message]] = {}
        self._dead: dict[str, list[tuple[DeadLetter, _Message]]] = {}
        publisher = _InProcessPublisher(self)
        for app in self.apps:
            rt = runtime(app)
            self._processors[rt.service] = EventProcessor(app)
            self._relays[rt.service] = OutboxRelay(
                rt.engine, rt.service, publisher, relay_id=f"{rt.service}@in-process"
            )
            self._queues[rt.service] = deque()
            self._dead[rt.service] = []
        first = runtime(self.apps[0]).settings if self.apps else None
        self.max_attempts = max_attempts or (first.event_max_attempts if first else 5)
        self._report = DrainReport()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _route(self, message: _Message) -> None:
        targets = [
            service
            for service, processor in self._processors.items()
            if any(topic_matches(p, message.event_type) for p in processor.patterns)
        ]
        if not targets:
            raise PublishRefused(f"unroutable: no consumer for {message.event_type}")
        for service in targets:
            self._queues[service].append(
                _Message(
                    message.body,
                    message.event_id,
                    message.event_type,
                    message.tenant_id,
                )
            )

    def drain(self, max_rounds: int = 1000) -> DrainReport:
        """Relay and deliver until idle; return what happened in this call."""
        with self._lock:
            self._report = DrainReport()
            for _ in range(max_rounds):
                self._report.rounds += 1
                moved = self._relay_all() + self._deliver_all()
                if moved == 0:
                    break
            for relay in self._relays.values():
                relay.measure_backlog()
            return self._report

    def _relay_all(self) -> int:
        sent = 0
        for relay in self._relays.values():
            while True:
                result = relay.relay_once()
                sent += result.sent
                if result.claimed < relay.batch_size:
                    break
        self._report.published += sent
        return sent

    def _deliver_all(self) -> int:
        delivered = 0
        for service, queue in self._queues.items():
            for _ in range(len(queue)):
                self._deliver(service, queue.popleft())
                delivered += 1
        return delivered

    def _deliver(self, service: str, message: _Message) -> None:
        result = self._processors[service].process(message.body)
        report = self._report
        if result.outcome is Outcome.APPLIED:
            report.applied += 1
            report.applied_ids.append(result.envelope.id)
        elif result.outcome is Outcome.DUPLICATE:
            report.duplicates += 1
        elif result.outcome is Outcome.RETRY and message.attempts < self.max_attempts:
            # Back of the queue: the events after a failing one flow on.
            message.attempts += 1
            message.error = result.error or ""
            self._queues[service].append(message)
            report.retried += 1
            metrics.RETRIED.labels(service, result.event_type).inc()
        elif result.outcome in (Outcome.RETRY, Outcome.DEAD):
            message.error = result.error or ""
            letter = DeadLetter(
                id=message.event_id or str(uuid.uuid4()),
                service=service,
                event_type=result.event_type,
                tenant_id=message.tenant_id,
                attempts=message.attempts,
                error=message.error,
                dead_lettered_at=datetime.now(UTC).isoformat(),
            )
            self._dead[service].append((letter, message))
            report.dead_lettered += 1
            metrics.DEAD_LETTERED.labels(service, result.event_type).inc()
            log.warning("event_dead_lettered", service=service, id=letter.id)

    def send_raw(self, service: str, body: str | bytes) -> None:
        """Put raw bytes on a service's queue, as a foreign producer might."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        with self._lock:
            self._queues[service].append(_Message(text, "", "unparsable", None))

    def dead_letters(self, service: str) -> list[DeadLetter]:
        with self._lock:
            return [letter for letter, _ in self._dead[service]]

    def replay(self, dead_letter_id: str) -> DeadLetter | None:
        """Put one dead letter back on its service's queue for a fresh try."""
        with self._lock:
            for service, letters in self._dead.items():
                for index, (letter, message) in enumerate(letters):
                    if letter.id == dead_letter_id:
                        del letters[index]
                        message.attempts = 1
                        self._queues[service].append(message)
                        return letter
        return None

    def start(self, interval_s: float = 0.2) -> None:
        """Drain in a background thread until ``stop()`` (``telecart run``)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.drain()
                except Exception as exc:  # noqa: BLE001 - keep the embedded bus alive
                    log.error("in_process_bus_failed", error=repr(exc)[:300])
                self._stop.wait(interval_s)

        self._thread = threading.Thread(target=loop, name="telecart-bus", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
