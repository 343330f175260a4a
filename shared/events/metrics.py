"""Prometheus metrics of the event bus, per service and event type."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_BACKLOG = Gauge(
    "telecart_outbox_backlog",
    "Outbox rows not yet confirmed by the broker",
    ["service"],
    multiprocess_mode="max",
)
OUTBOX_OLDEST_AGE = Gauge(
    "telecart_outbox_oldest_unsent_seconds",
    "Age of the oldest outbox row not yet confirmed by the broker",
    ["service"],
    multiprocess_mode="max",
)
PUBLISHED = Counter(
    "telecart_events_published_total",
    "Events the broker confirmed",
    ["service", "event_type"],
)
PUBLISH_FAILED = Counter(
    "telecart_events_publish_failed_total",
    "Publish attempts refused, unroutable or unconfirmed",
    ["service", "event_type"],
)
CONSUMED = Counter(
    "telecart_events_consumed_total",
    "Events applied by a consumer (duplicates excluded)",
    ["service", "event_type"],
)
DUPLICATES = Counter(
    "telecart_events_duplicate_total",
    "Redelivered events recognised by the inbox and not applied again",
    ["service", "event_type"],
)
RETRIED = Counter(
    "telecart_events_retried_total",
    "Events sent back for another try after a handler failed",
    ["service", "event_type"],
)
DEAD_LETTERED = Counter(
    "telecart_events_dead_lettered_total",
    "Events moved to the dead-letter queue",
    ["service", "event_type"],
)
