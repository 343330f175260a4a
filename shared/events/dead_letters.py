"""Dead letters on RabbitMQ: list them, send one back (``telecart events``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from kombu import Connection, Producer, Queue

from shared.events.amqp import (
    ATTEMPTS,
    DEAD_LETTER_ID,
    DEAD_LETTERED_AT,
    ERROR,
    ROUTING_KEY,
    BrokerOptions,
    Topology,
    connect,
)
from shared.events.envelope import DeadLetter

log = structlog.get_logger(__name__)


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
            producer = Producer(channel)
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
