"""Relays sharing one PostgreSQL outbox never send a row twice at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from shared.events.relay import OutboxRelay
from shared.events.tables import outbox
from shared.http.app import runtime
from tests.events.harness import ALPHA, BETA, build_service, place_orders, settings_for

pytestmark = pytest.mark.postgres


class CollectingPublisher:
    """A stand-in transport that confirms everything and remembers it."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()

    def publish(self, body, *, event_id, event_type, tenant_id) -> None:
        with self._lock:
            self.sent[event_id] += 1

    def close(self) -> None:
        pass


def test_four_relays_draining_one_outbox_send_each_event_exactly_once(
    postgres_urls,
):
    settings = settings_for(postgres_urls("order"))
    order = build_service("order", settings)
    ids = place_orders(order, ALPHA, 100, per_tx=50)
    ids += place_orders(order, BETA, 100, per_tx=50)
    publisher = CollectingPublisher()
    relays = [
        OutboxRelay(
            runtime(order).engine, "order", publisher, batch_size=10, relay_id=f"r{n}"
        )
        for n in range(4)
    ]

    def drain(relay: OutboxRelay) -> None:
        while relay.relay_once().claimed:
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    twice = sum(1 for count in publisher.sent.values() if count > 1)
    print(f"4 relays: {len(publisher.sent)} of {len(ids)} sent, {twice} sent twice")
    assert set(publisher.sent) == set(ids) and twice == 0
    with runtime(order).engine.connect() as connection:
        unsent = connection.scalar(
            select(func.count()).where(outbox.c.sent_at.is_(None))
        )
    assert unsent == 0
