"""Test doubles for the order saga's neighbours (test code only).

- ``FakeBus`` stands in for ``shared.events`` where a test injects faults
  the real bus cannot (a worker dying before its commit, two deliveries at
  once, duplicates with and without the same id): it replaces the outbox
  ``publish`` behind ``services.order.events.emit`` and keeps the outbox's
  promise (an event exists only if its transaction commits). It delivers
  events to the order service's real handlers in a fresh app context and
  transaction each, retries a handler that raises (as the bus does), and
  can deliver duplicates and two events at once. It does not dedupe by
  event id, so the saga's own duplicate handling is what is tested.
- ``FakeCatalog`` reserves all of an order's lines or none, releases once,
  and always acknowledges a release (the contract in SAGA.md).
- ``FakePayment`` keeps a ledger of authorisations by idempotency key, so
  the tests can count open authorisations and charges.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from services.order import events as order_events
from services.order.models import db
from shared.db import TenantSession
from shared.tenancy import Tenant, tenant_scope


@dataclass(frozen=True)
class FakeEnvelope:
    id: str
    type: str
    version: int
    occurred_at: str
    tenant_id: str
    correlation_id: str
    causation_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)


def envelope(type_: str, payload: dict[str, Any], tenant_id: str) -> FakeEnvelope:
    event_id = str(uuid.uuid4())
    return FakeEnvelope(
        event_id,
        type_,
        1,
        datetime.now(UTC).isoformat(),
        tenant_id,
        event_id,
        None,
        dict(payload),
    )


class FakeBus:
    def __init__(self, app, tenant: Tenant) -> None:
        self.app = app
        self.tenant = tenant
        self.published: list[FakeEnvelope] = []  # committed order events
        self.queue: deque[FakeEnvelope] = deque()
        self.consumers: list[tuple[Callable[[str], bool], Callable]] = []
        self.dead_letters: list[tuple[FakeEnvelope, str]] = []
        self.deliveries = 0
        self.duplicate_replies = False
        self.crash_before_commit: set[str] = set()  # event types
        self.crashes = 0
        self._lock = threading.RLock()

    # The publisher side (outbox semantics)

    def install(self) -> FakeBus:
        self._previous = order_events.publish
        order_events.publish = self.publish
        event.listen(TenantSession, "after_commit", self._committed)
        event.listen(TenantSession, "after_soft_rollback", self._rolled_back)
        return self

    def uninstall(self) -> None:
        order_events.publish = self._previous
        event.remove(TenantSession, "after_commit", self._committed)
        event.remove(TenantSession, "after_soft_rollback", self._rolled_back)

    def publish(self, session, type_, payload, version=1) -> FakeEnvelope:
        sent = envelope(type_, payload, self.tenant.id)
        session.info.setdefault("fake_outbox", []).append(sent)
        return sent

    def _committed(self, session) -> None:
        pending = session.info.pop("fake_outbox", [])
        with self._lock:
            self.published.extend(pending)
            self.queue.extend(pending)

    def _rolled_back(self, session, previous_transaction) -> None:
        if previous_transaction.parent is None:
            session.info.pop("fake_outbox", None)

    def reply(self, type_: str, payload: dict[str, Any]) -> FakeEnvelope:
        """An event from another service, straight onto the queue."""
        sent = envelope(type_, payload, self.tenant.id)
        with self._lock:
            self.queue.append(sent)
            if self.duplicate_replies:
                # Delivered twice (same id), and published twice (new id).
                self.queue.append(sent)
                self.queue.append(dataclasses.replace(sent, id=str(uuid.uuid4())))
        return sent

    def deliver_at_once(self, *sent: FakeEnvelope) -> None:
        """Deliver events to the order service on parallel threads, together."""
        barrier = threading.Barrier(len(sent))
        failures: list[BaseException] = []

        def run(one: FakeEnvelope) -> None:
            barrier.wait()
            try:
                self.deliver_to_order(one)
            except BaseException as exc:  # reported to the test below
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(one,)) for one in sent]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        if failures:
            raise failures[0]

    # The consumer side

    def subscribe(self, types: Callable[[str], bool], consumer: Callable) -> None:
        self.consumers.append((types, consumer))

    def deliver_to_order(self, sent: FakeEnvelope, attempts: int = 5) -> None:
        """Run the order service's handler in its own transaction; retry on raise."""
        found = order_events.handlers.for_type(sent.type)
        if not found:
            return
        handler = found[0]
        for attempt in range(1, attempts + 1):
            with self.app.app_context(), tenant_scope(self.tenant):
                try:
                    handler(sent, db.session)
                    if sent.type in self.crash_before_commit:
                        # The worker dies after the work, before the commit:
                        # nothing persists, the broker delivers it again.
                        self.crash_before_commit.discard(sent.type)
                        self.crashes += 1
                        db.session.rollback()
                        with self._lock:
                            self.queue.append(sent)
                        return
                    db.session.commit()
                    self.deliveries += 1
                    return
                except (StaleDataError, OperationalError) as exc:
                    db.session.rollback()
                    if attempt == attempts:
                        self.dead_letters.append((sent, repr(exc)))
                except Exception as exc:
                    db.session.rollback()
                    self.dead_letters.append((sent, repr(exc)))
                    raise

    def dispatch(self, sent: FakeEnvelope) -> None:
        for matches, consumer in self.consumers:
            if matches(sent.type):
                consumer(sent)
        self.deliver_to_order(sent)

    def pump(self, limit: int = 500) -> int:
        """Deliver until the queue is empty; how many were delivered."""
        count = 0
        while count < limit:
            with self._lock:
                if not self.queue:
                    return count
                sent = self.queue.popleft()
            self.dispatch(sent)
            count += 1
        raise AssertionError("the bus did not go idle: an event loop?")

    def types(self) -> list[str]:
        return [e.type for e in self.published]

    def of_type(self, type_: str) -> list[FakeEnvelope]:
        return [e for e in self.published if e.type == type_]


class FakeCatalog:
    """Stock per SKU; all-or-nothing reservations per order; idempotent release."""

    def __init__(self, bus: FakeBus, stock: dict[str, int]) -> None:
        self.bus = bus
        self.initial = dict(stock)
        self.on_hand = dict(stock)
        self.held: dict[tuple[str, str], tuple[str, int]] = {}
        self.committed: set[tuple[str, str]] = set()
        self.silent = False
        self.ack_releases = True
        self._lock = threading.Lock()
        bus.subscribe(lambda t: t.startswith("order."), self.consume)

    def consume(self, sent: FakeEnvelope) -> None:
        handler = {
            "order.placed": self.reserve,
            "order.cancelled": self.release,
            "order.line_cancelled": self.release_line,
            "order.confirmed": self.commit,
            "order.return_received": self.put_back,
        }.get(sent.type)
        if handler is not None:
            handler(sent.payload)

    def reserve(self, payload: dict[str, Any]) -> None:
        if self.silent or not payload["lines"]:
            return
        order_id = payload["order_id"]
        with self._lock:
            lines = payload["lines"]
            already = all((order_id, ln["line_id"]) in self.held for ln in lines)
            short = next(
                (ln for ln in lines if self.on_hand.get(ln["sku"], 0) < ln["quantity"]),
                None,
            )
            if not already and short is not None:
                reply = (
                    "catalog.stock_reservation_failed",
                    {
                        "order_id": order_id,
                        "reason": "insufficient_stock",
                        "sku": short["sku"],
                    },
                )
            else:
                for ln in lines if not already else []:
                    self.on_hand[ln["sku"]] -= ln["quantity"]
                    self.held[(order_id, ln["line_id"])] = (ln["sku"], ln["quantity"])
                reply = (
                    "catalog.stock_reserved",
                    {"order_id": order_id, "lines": lines},
                )
        self.bus.reply(*reply)

    def release(self, payload: dict[str, Any]) -> None:
        order_id = payload["order_id"]
        released = []
        with self._lock:
            for key in [k for k in self.held if k[0] == order_id]:
                sku, quantity = self.held.pop(key)
                self.committed.discard(key)
                self.on_hand[sku] += quantity
                released.append({"line_id": key[1], "sku": sku, "quantity": quantity})
        if self.ack_releases:
            self.bus.reply(
                "catalog.stock_released", {"order_id": order_id, "lines": released}
            )

    def release_line(self, payload: dict[str, Any]) -> None:
        with self._lock:
            held = self.held.pop((payload["order_id"], payload["line_id"]), None)
            if held is not None:
                self.on_hand[held[0]] += held[1]

    def commit(self, payload: dict[str, Any]) -> None:
        with self._lock:
            for ln in payload["lines"]:
                self.committed.add((payload["order_id"], ln["line_id"]))

    def put_back(self, payload: dict[str, Any]) -> None:
        with self._lock:
            for ln in payload["lines"]:
                if self.held.pop((payload["order_id"], ln["line_id"]), None):
                    self.on_hand[ln["sku"]] += ln["quantity"]

    def held_for(self, order_id: str) -> int:
        return sum(1 for key in self.held if key[0] == order_id)


class FakePayment:
    """A ledger of authorisations keyed by idempotency key."""

    def __init__(self, bus: FakeBus) -> None:
        self.bus = bus
        self.mode = "approve"  # approve | decline | silent
        self.void_mode = "ok"  # ok | fail | silent
        self.ledger: dict[str, dict[str, Any]] = {}
        self.captures: dict[str, int] = {}  # capture key -> times money moved
        self.refunds: dict[str, int] = {}
        self.withheld: list[FakeEnvelope] = []
        bus.subscribe(lambda t: t.startswith("order."), self.consume)

    def consume(self, sent: FakeEnvelope) -> None:
        handler = {
            "order.payment_requested": self.authorise,
            "order.capture_requested": self.capture,
            "order.void_requested": self.void,
            "order.refund_requested": self.refund,
        }.get(sent.type)
        if handler is None:
            return
        if sent.type == "order.payment_requested" and self.mode == "silent":
            self.withheld.append(sent)
            return
        handler(sent.payload)

    def answer_withheld(self, mode: str = "approve") -> None:
        """The provider wakes up: answer what it sat on (late)."""
        held, self.withheld = self.withheld, []
        previous, self.mode = self.mode, mode
        for sent in held:
            self.authorise(sent.payload)
        self.mode = previous

    def authorise(self, p: dict[str, Any]) -> None:
        key = p["idempotency_key"]
        entry = self.ledger.get(key)
        if entry is None and self.mode == "decline":
            self.bus.reply(
                "payment.declined",
                {
                    "order_id": p["order_id"],
                    "attempt": p["attempt"],
                    "reason": "card_declined",
                    "idempotency_key": key,
                },
            )
            return
        if entry is None:
            entry = {
                "order_id": p["order_id"],
                "id": "auth_" + uuid.uuid4().hex[:10],
                "amount": p["amount"],
                "status": "authorised",
                "captured": 0,
                "refunded": 0,
            }
            self.ledger[key] = entry
        self.bus.reply(
            "payment.authorised",
            {
                "order_id": p["order_id"],
                "attempt": p["attempt"],
                "authorisation_id": entry["id"],
                "amount": entry["amount"],
                "currency": p["currency"],
                "idempotency_key": key,
                "mandate_id": "mandate_" + key[-6:],
            },
        )

    def _by_id(self, authorisation_id: str | None) -> dict[str, Any] | None:
        return next(
            (e for e in self.ledger.values() if e["id"] == authorisation_id), None
        )

    def capture(self, p: dict[str, Any]) -> None:
        entry = self._by_id(p["authorisation_id"])
        key = p["idempotency_key"]
        if entry is not None and key not in self.captures:
            self.captures[key] = 1
            entry["status"], entry["captured"] = "captured", p["amount"]
        self.bus.reply(
            "payment.captured",
            {
                "order_id": p["order_id"],
                "authorisation_id": p["authorisation_id"],
                "amount": p["amount"],
                "idempotency_key": key,
            },
        )

    def void(self, p: dict[str, Any]) -> None:
        if self.void_mode == "silent":
            return
        if self.void_mode == "fail":
            self.bus.reply(
                "payment.void_failed",
                {
                    "order_id": p["order_id"],
                    "idempotency_key": p["idempotency_key"],
                    "reason": "provider_error",
                },
            )
            return
        entry = self.ledger.get(p["authorisation_key"]) or self._by_id(
            p.get("authorisation_id")
        )
        outcome = "not_found"
        if entry is not None and entry["status"] == "authorised":
            entry["status"], outcome = "voided", "voided"
        elif entry is not None:
            outcome = entry["status"]
        self.bus.reply(
            "payment.voided",
            {
                "order_id": p["order_id"],
                "attempt": p["attempt"],
                "authorisation_id": entry["id"] if entry else None,
                "outcome": outcome,
                "idempotency_key": p["idempotency_key"],
            },
        )

    def refund(self, p: dict[str, Any]) -> None:
        key = p["idempotency_key"]
        if key not in self.refunds:
            self.refunds[key] = p["amount"]
            entry = self._by_id(p.get("authorisation_id"))
            if entry is not None:
                entry["refunded"] += p["amount"]
        self.bus.reply(
            "payment.refunded",
            {"order_id": p["order_id"], "amount": p["amount"], "idempotency_key": key},
        )

    def open_authorisations(self, order_id: str) -> int:
        return sum(
            1
            for e in self.ledger.values()
            if e["order_id"] == order_id and e["status"] == "authorised"
        )

    def charged(self, order_id: str) -> int:
        return sum(
            e["captured"] - e["refunded"]
            for e in self.ledger.values()
            if e["order_id"] == order_id
        )

    def capture_count(self, order_id: str) -> int:
        return sum(n for key, n in self.captures.items() if key.startswith(order_id))
