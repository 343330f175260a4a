"""RabbitMQ through kombu: publisher with confirms, consumer with retries.

Topology, for a prefix ``telecart`` and each consuming service ``svc``:

- ``telecart.events``: durable topic exchange every relay publishes to;
- ``telecart.svc``: the service's durable queue, bound by its patterns;
- ``telecart.svc.retry.<ms>ms``: durable queues without consumers whose
  messages expire after ``<ms>`` and are dead-lettered (by RabbitMQ) back to
  ``telecart.svc`` through the default exchange, so a retry reaches only the
  service that failed; one queue per delay keeps every message's expiry at
  the head of its queue;
- ``telecart.svc.dlq``: the dead-letter queue an operator inspects.

Every connection has a heartbeat (a half-open link is noticed) and bounded
connect, write and confirm timeouts; nothing waits for ever on a broker.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from amqp.exceptions import MessageNacked
from kombu import Connection, Consumer, Exchange, Producer, Queue, binding
from sqlalchemy.exc import OperationalError

from shared.events import metrics
from shared.events.processing import EventProcessor, Outcome, Result
from shared.events.relay import BrokerUnavailable, PublishRefused

log = structlog.get_logger(__name__)

ATTEMPTS = "x-telecart-attempts"
ERROR = "x-telecart-error"
DEAD_LETTER_ID = "x-telecart-dead-letter-id"
DEAD_LETTERED_AT = "x-telecart-dead-lettered-at"
ROUTING_KEY = "x-telecart-routing-key"


@dataclass(frozen=True)
class Topology:
    """Names of the exchange and queues; a prefix keeps test runs apart."""

    exchange: str = "telecart.events"
    prefix: str = "telecart"

    def queue(self, service: str) -> str:
        return f"{self.prefix}.{service}"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.prefix}.{service}.dlq"

    def retry_queue(self, service: str, delay_ms: int) -> str:
        return f"{self.prefix}.{service}.retry.{delay_ms}ms"


@dataclass(frozen=True)
class BrokerOptions:
    heartbeat_s: int = 10
    timeout_s: float = 5.0
    connect_retries: int = 3
    confirms: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> BrokerOptions:
        return cls(
            heartbeat_s=settings.broker_heartbeat_s,
            timeout_s=settings.broker_timeout_s,
        )


def broker_connection(url: str, options: BrokerOptions) -> Connection:
    return Connection(
        url,
        heartbeat=options.heartbeat_s or None,
        connect_timeout=options.timeout_s,
        transport_options={
            "confirm_publish": options.confirms,
            "write_timeout": options.timeout_s,
        },
    )


def connect(url: str, options: BrokerOptions) -> Connection:
    """An established connection, after a bounded number of attempts."""
    connection = broker_connection(url, options)
    try:
        connection.ensure_connection(
            max_retries=options.connect_retries,
            interval_start=0.2,
            interval_step=0.5,
            interval_max=2.0,
            timeout=options.timeout_s,
        )
    except Exception as exc:
        connection.release()
        raise BrokerUnavailable(repr(exc)[:300]) from exc
    return connection


def _link_errors(connection: Connection) -> tuple[type[BaseException], ...]:
    return (
        *connection.connection_errors,
        *connection.channel_errors,
        OSError,
        socket.timeout,
    )


def broker_check(url: str, options: BrokerOptions | None = None) -> Callable:
    """A readiness check: can we open a connection to the broker right now?"""
    options = options or BrokerOptions()
    quick = BrokerOptions(options.heartbeat_s, min(options.timeout_s, 2.0), 0)

    def check() -> tuple[bool, str]:
        try:
            connect(url, quick).release()
            return True, "ok"
        except BrokerUnavailable:
            return False, "broker unreachable"

    return check


class AmqpPublisher:
    """Publish envelopes to the topic exchange; return only once confirmed."""

    def __init__(
        self, url: str, topology: Topology, options: BrokerOptions | None = None
    ) -> None:
        self.url = url
        self.topology = topology
        self.options = options or BrokerOptions()
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._returned: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is not None:
            return self._producer
        connection = connect(self.url, self.options)
        try:
            channel = connection.channel()
            exchange = Exchange(self.topology.exchange, "topic", durable=True)
            exchange.declare(channel=channel)
            producer = Producer(channel, exchange=exchange, on_return=self._on_return)
        except _link_errors(connection) as exc:
            connection.release()
            raise BrokerUnavailable(repr(exc)[:300]) from exc
        self._connection, self._producer = connection, producer
        return producer

    def _on_return(self, exc: Any, exchange: str, routing_key: str, message: Any):
        self._returned.add(message.properties.get("message_id", ""))

    def publish(
        self, body: str, *, event_id: str, event_type: str, tenant_id: str
    ) -> None:
        producer = self._ensure()
        try:
            producer.publish(
                body.encode(),
                routing_key=event_type,
                mandatory=True,
                delivery_mode=2,
                content_type="application/json",
                content_encoding="utf-8",
                headers={"tenant_id": tenant_id, "event_type": event_type},
                message_id=event_id,
                type=event_type,
                timeout=self.options.timeout_s,
                confirm_timeout=self.options.timeout_s,
            )
        except MessageNacked as exc:
            raise PublishRefused("the broker nacked the message") from exc
        except _link_errors(self._connection) as exc:
            self.close()
            raise BrokerUnavailable(repr(exc)[:300]) from exc

        if event_id in self._returned:
            self._returned.discard(event_id)
            raise PublishRefused(f"unroutable: no queue is bound for {event_type}")

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - the link is already gone
                pass


def declare_service_topology(
    channel: Any,
    topology: Topology,
    service: str,
    patterns: list[str],
    retry_delays_ms: tuple[int, ...],
) -> Queue:
    """Declare (idempotently) the exchange and the service's queues."""
    exchange = Exchange(topology.exchange, "topic", durable=True)
    exchange.declare(channel=channel)
    main = Queue(
        topology.queue(service),
        bindings=[binding(exchange, routing_key=p) for p in patterns],
        durable=True,
    )
    main(channel).declare()
    Queue(topology.dead_letter_queue(service), durable=True)(channel).declare()
    for delay in retry_delays_ms:
        Queue(
            topology.retry_queue(service, delay),
            durable=True,
            queue_arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": topology.queue(service),
            },
        )(channel).declare()
    return main


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
    events: list[str] = field(default_factory=list)


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
            finally:
                try:
                    connection.release()
                except Exception:  # noqa: BLE001 - the link is already gone
                    pass

    def _serve(self, connection: Connection, stop: threading.Event) -> None:
        channel = connection.channel()
        reroute = Producer(connection.channel(), exchange="")
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

        if result.outcome in (Outcome.APPLIED, Outcome.DUPLICATE):
            self.stats.events.append(result.envelope.id)
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


@dataclass(frozen=True)
class DeadLetter:
    id: str
    service: str
    event_type: str
    tenant_id: str | None
    attempts: int
    error: str
    dead_lettered_at: str


def _dead_letter(service: str, message: Any) -> DeadLetter:
    headers = message.headers or {}
    return DeadLetter(
        id=str(headers.get(DEAD_LETTER_ID) or message.properties.get("message_id")),
        service=service,
        event_type=str(headers.get(ROUTING_KEY) or message.properties.get("type")),
        tenant_id=headers.get("tenant_id"),
        attempts=int(headers.get(ATTEMPTS, 1)),
        error=str(headers.get(ERROR, "")),
        dead_lettered_at=str(headers.get(DEAD_LETTERED_AT, "")),
    )


class DeadLetterQueues:
    """Browse and replay the dead-letter queues (``telecart events ...``)."""

    def __init__(
        self, url: str, topology: Topology, options: BrokerOptions | None = None
    ) -> None:
        self.url = url
        self.topology = topology
        self.options = options or BrokerOptions()

    def list(self, service: str, limit: int = 1000) -> list[DeadLetter]:
        """Every message in the service's DLQ; all stay there (unacked, requeued)."""
        found: list[DeadLetter] = []
        connection = connect(self.url, self.options)
        try:
            channel = connection.channel()
            queue = Queue(self.topology.dead_letter_queue(service), durable=True)
            bound = queue(channel)
            bound.declare()
            while len(found) < limit:
                message = bound.get(no_ack=False)
                if message is None:
                    break
                found.append(_dead_letter(service, message))
            channel.close()
        finally:
            connection.release()
        return found

    def replay(self, dead_letter_id: str, services: list[str]) -> DeadLetter | None:
        """Send one dead letter back to its service's queue for a fresh try."""
        connection = connect(self.url, self.options)
        try:
            for service in services:
                replayed = self._replay_from(connection, service, dead_letter_id)
                if replayed is not None:
                    return replayed
        finally:
            connection.release()
        return None

    def _replay_from(
        self, connection: Connection, service: str, dead_letter_id: str
    ) -> DeadLetter | None:
        channel = connection.channel()
        try:
            queue = Queue(self.topology.dead_letter_queue(service), durable=True)
            bound = queue(channel)
            bound.declare()
            producer = Producer(channel, exchange="")
            while True:
                message = bound.get(no_ack=False)
                if message is None:
                    return None
                letter = _dead_letter(service, message)
                if letter.id != dead_letter_id:
                    continue
                headers = dict(message.headers or {})
                headers[ATTEMPTS] = 1
                headers["x-telecart-replayed-at"] = datetime.now(UTC).isoformat()
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=self.topology.queue(service),
                    mandatory=True,
                    delivery_mode=2,
                    content_type=message.content_type or "application/json",
                    content_encoding=message.content_encoding or "utf-8",
                    headers=headers,
                    message_id=message.properties.get("message_id"),
                    type=message.properties.get("type"),
                    timeout=self.options.timeout_s,
                    confirm_timeout=self.options.timeout_s,
                )
                message.ack()
                log.info("dead_letter_replayed", service=service, id=dead_letter_id)
                return letter
        finally:
            channel.close()
