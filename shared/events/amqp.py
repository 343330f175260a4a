"""RabbitMQ through kombu: connections, topology and the confirming publisher.

The consumer is in ``shared.events.consumer``, dead letters in
``shared.events.dead_letters``.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from amqp.exceptions import MessageNacked
from kombu import Connection, Exchange, Producer, Queue, binding

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

    @classmethod
    def for_exchange(cls, exchange: str) -> Topology:
        """Queues named after the exchange: ``x.events`` gives ``x.<service>``."""
        prefix = exchange.removesuffix(".events") or exchange
        return cls(exchange=exchange, prefix=prefix)

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

    def heartbeat(self) -> None:
        """Keep an idle link alive, and notice a dead one before the next event."""
        if self._connection is None:
            return
        try:
            self._connection.heartbeat_check()
        except _link_errors(self._connection):
            self.close()

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
