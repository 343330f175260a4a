"""A customer's basket kept in step on every device (server-sent events).

Each change to a signed-in customer's basket is announced on a feed keyed by
brand and customer; every open stream of that customer on that brand gets it.
``InProcessFeed`` serves one process (embedded, tests); ``RedisFeed`` (pub/sub)
reaches every web worker. Streams carry a small notice (basket id, status,
both totals), never another customer's or another brand's basket.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


def channel_for(tenant_id: str, customer_id: str) -> str:
    return f"telecart:basket:{tenant_id}:{customer_id}"


class Subscription(Protocol):
    def get(self, timeout: float) -> dict[str, Any] | None: ...

    def close(self) -> None: ...


class BasketFeed(Protocol):
    def publish(self, tenant_id: str, customer_id: str, notice: dict) -> None: ...

    def subscribe(self, tenant_id: str, customer_id: str) -> Subscription: ...


class _QueueSubscription:
    def __init__(self, feed: InProcessFeed, channel: str) -> None:
        self._feed, self._channel = feed, channel
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=100)

    def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._feed._drop(self._channel, self)


class InProcessFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[_QueueSubscription]] = {}

    def publish(self, tenant_id: str, customer_id: str, notice: dict) -> None:
        with self._lock:
            subscribers = list(
                self._subscribers.get(channel_for(tenant_id, customer_id), ())
            )
        for subscription in subscribers:
            try:
                subscription.queue.put_nowait(notice)
            except queue.Full:
                log.warning("basket_stream_lagging", customer_id=customer_id)

    def subscribe(self, tenant_id: str, customer_id: str) -> _QueueSubscription:
        channel = channel_for(tenant_id, customer_id)
        subscription = _QueueSubscription(self, channel)
        with self._lock:
            self._subscribers.setdefault(channel, []).append(subscription)
        return subscription

    def _drop(self, channel: str, subscription: _QueueSubscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(channel, [])
            if subscription in subscribers:
                subscribers.remove(subscription)


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    def get(self, timeout: float) -> dict[str, Any] | None:
        message = self._pubsub.get_message(
            ignore_subscribe_messages=True, timeout=timeout
        )
        if message is None or message.get("type") != "message":
            return None
        return json.loads(message["data"])

    def close(self) -> None:
        self._pubsub.close()


class RedisFeed:
    """Pub/sub through Redis, so every web worker's streams hear every change."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)

    def publish(self, tenant_id: str, customer_id: str, notice: dict) -> None:
        try:
            self._redis.publish(channel_for(tenant_id, customer_id), json.dumps(notice))
        except Exception as exc:  # noqa: BLE001 - a missed notice is not an error
            log.warning("basket_notice_not_sent", error=type(exc).__name__)

    def subscribe(self, tenant_id: str, customer_id: str) -> _RedisSubscription:
        pubsub = self._redis.pubsub()
        pubsub.subscribe(channel_for(tenant_id, customer_id))
        return _RedisSubscription(pubsub)


def notice_for(view: dict[str, Any]) -> dict[str, Any]:
    totals = view["totals"]
    return {
        "basket_id": view["id"],
        "status": view["status"],
        "bundles": len(view["bundles"]),
        "due_today": totals["due_today"]["amount"],
        "per_month": totals["per_month"]["amount"],
    }


def event_stream(subscription: Subscription, keep_alive_s: float) -> Iterator[str]:
    """``text/event-stream`` lines; a comment every ``keep_alive_s`` keeps
    proxies from closing the connection."""
    try:
        yield "retry: 3000\n\n"
        while True:
            notice = subscription.get(keep_alive_s)
            if notice is None:
                yield ": keep-alive\n\n"
                continue
            yield f"event: basket\ndata: {json.dumps(notice)}\n\n"
    finally:
        subscription.close()
