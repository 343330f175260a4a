"""The RabbitMQ consumer of one service: apply, ack after commit, retry, bury.

Each delivery goes through the shared ``EventProcessor`` (tenant scope, inbox,
handlers, one commit) and is acked only afterwards. A failed handler sends the
message to the retry queue for its attempt, with the attempt counted in a
header; after the last attempt, or at once for a malformed or tenantless
event, it goes to the service's dead-letter queue. The rerouted copy is
confirmed by the broker before the original is acked, so a crash in between
redelivers (and the inbox absorbs the repeat) instead of losing it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from kombu import Connection, Consumer, Producer, Queue
from sqlalchemy.exc import OperationalError

from shared.events import metrics
from shared.events.amqp import (
    ATTEMPTS,
    DEAD_LETTER_ID,
    DEAD_LETTERED_AT,
    ERROR,
    ROUTING_KEY,
    BrokerOptions,
    Topology,
    _link_errors,
    connect,
    declare_service_topology,
)
from shared.events.processing import EventProcessor, Outcome, Result
from shared.events.relay import BrokerUnavailable

log = structlog.get_logger(__name__)


@dataclass
class ConsumerPolicy:
    max_attempts: int = 5
    retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000)
    prefetch: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> ConsumerPolicy:
        return cls(settings.event_max_attempts, settings.event_retry_delays_ms)

    def delay_for(self, attempt: int) -> int:
        return self.retry_delays_ms[min(attempt, len(self.retry_delays_ms)) - 1]


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0
    reconnects: int = 0


class AmqpConsumer:
    """Consume one service's queue: apply, ack after commit, retry, dead-letter."""

    def __init__(
        self,
        url: str,
        processor: EventProcessor,
        topology: Topology,
        policy: ConsumerPolicy | None = None,
        options: BrokerOptions | None = None,
    ) -> None:
        self.url = url
        self.processor = processor
        self.service = processor.service
        self.topology = topology
        self.policy = policy or ConsumerPolicy()
        self.options = options or BrokerOptions()
        self.stats = ConsumerStats()
        self.ready = threading.Event()

    def declare(self) -> None:
        """Create the queues and bindings, so publishers can route at once."""
        connection = connect(self.url, self.options)
        try:
            self._declare(connection.channel())
        finally:
            connection.release()

    def _declare(self, channel: Any) -> Queue:
        return declare_service_topology(
            channel,
            self.topology,
            self.service,
            self.processor.patterns,
            self.policy.retry_delays_ms,
        )

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; reconnect by itself after any outage."""
        backoff = 0.5
        while not stop.is_set():
            try:
                connection = connect(self.url, self.options)
            except BrokerUnavailable as exc:
                log.warning("consumer_waiting_for_broker", error=str(exc)[:200])
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            try:
                self._serve(connection, stop)
                backoff = 0.5
            except (*_link_errors(connection), BrokerUnavailable) as exc:
                self.ready.clear()
                self.stats.reconnects += 1
                log.warning(
                    "consumer_link_lost", service=self.service, error=repr(exc)[:200]
                )
                stop.wait(backoff)
            except Exception:  # noqa: BLE001 - a worker outlives any one failure
                self.ready.clear()
                log.exception("consumer_failed", service=self.service)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                try:
                    connection.release()
                except Exception:  # noqa: BLE001 - the link is already gone
                    pass

    def _serve(self, connection: Connection, stop: threading.Event) -> None:
        channel = connection.channel()
        reroute = Producer(connection.channel())
        queue = self._declare(channel)
        channel.basic_qos(0, self.policy.prefetch, False)

        # Deliveries are queued and handled between reads: a confirm wait on
        # the rerouting channel would otherwise re-enter the callback.
        pending: deque[Any] = deque()
        consumer = Consumer(channel, queues=[queue], on_message=pending.append)
        consumer.consume()
        self.ready.set()
        log.info("consumer_started", service=self.service, queue=queue.name)

        while not stop.is_set():
            try:
                connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass
            connection.heartbeat_check()
            while pending:
                self._handle(pending.popleft(), reroute)
        self.ready.clear()

    def _handle(self, message: Any, reroute: Producer) -> None:
        try:
            result = self.processor.process(message.body)
        except OperationalError as exc:
            # The database, not the event, failed: let the broker redeliver.
            log.warning("consumer_database_error", error=repr(exc)[:300])
            time.sleep(1.0)
            message.requeue()
            return

        if result.outcome is Outcome.APPLIED:
            self.stats.applied += 1
        elif result.outcome is Outcome.DUPLICATE:
            self.stats.duplicates += 1
        elif result.outcome is Outcome.RETRY:
            self._retry_or_bury(message, result, reroute)
        elif result.outcome is Outcome.DEAD:
            self._bury(message, result, reroute)
        message.ack()

    def _retry_or_bury(self, message: Any, result: Result, reroute: Producer):
        attempt = int((message.headers or {}).get(ATTEMPTS, 1))
        if attempt >= self.policy.max_attempts:
            self._bury(message, result, reroute)
            return
        delay = self.policy.delay_for(attempt)
        headers = {**(message.headers or {}), ATTEMPTS: attempt + 1}
        headers[ERROR] = (result.error or "")[:500]
        self._send(
            reroute, message, self.topology.retry_queue(self.service, delay), headers
        )
        self.stats.retried += 1
        metrics.RETRIED.labels(self.service, result.event_type).inc()
        log.info(
            "event_retry_scheduled",
            service=self.service,
            event_type=result.event_type,
            attempt=attempt,
            delay_ms=delay,
        )

    def _bury(self, message: Any, result: Result, reroute: Producer) -> None:
        headers = dict(message.headers or {})
        headers.setdefault(ATTEMPTS, 1)
        headers[ERROR] = (result.error or "")[:500]
        headers[DEAD_LETTERED_AT] = datetime.now(UTC).isoformat()
        headers.setdefault(ROUTING_KEY, message.delivery_info.get("routing_key", ""))
        headers.setdefault(
            DEAD_LETTER_ID,
            result.envelope.id
            if result.envelope
            else message.properties.get("message_id") or str(uuid.uuid4()),
        )
        self._send(
            reroute, message, self.topology.dead_letter_queue(self.service), headers
        )
        self.stats.dead_lettered += 1
        metrics.DEAD_LETTERED.labels(self.service, result.event_type).inc()
        log.warning(
            "event_dead_lettered",
            service=self.service,
            event_type=result.event_type,
            dead_letter_id=headers[DEAD_LETTER_ID],
            error=headers[ERROR],
        )

    def _send(self, producer: Producer, message: Any, queue: str, headers: dict):
        """Re-publish to a queue through the default exchange, confirmed."""
        if ROUTING_KEY not in headers:
            headers[ROUTING_KEY] = message.delivery_info.get("routing_key", "")
        properties = message.properties
        producer.publish(
            message.body,
            exchange="",
            routing_key=queue,
            mandatory=True,
            delivery_mode=2,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8",
            headers=headers,
            message_id=properties.get("message_id"),
            type=properties.get("type"),
            timeout=self.options.timeout_s,
            confirm_timeout=self.options.timeout_s,
        )
