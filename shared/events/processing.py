"""Applying one delivered event: tenant scope, inbox, handlers, one commit.

This is the part every transport shares (RabbitMQ and in-process). The
transport only decides what to do with the outcome: ack, retry later, or
dead-letter.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from shared.events import metrics
from shared.events.builtin import tenant_from_event, tenant_lifecycle_handlers
from shared.events.envelope import Envelope, MalformedEvent
from shared.events.handlers import (
    EventHandlers,
    _handling,
    combine,
    declared_handlers,
)
from shared.events.tables import inbox
from shared.http.app import runtime
from shared.tenancy.context import Tenant, tenant_scope

log = structlog.get_logger(__name__)

HANDLERS_EXTRA = "event_handlers"


class TenantUnknown(RuntimeError):
    """The event's tenant is not (yet) in this service's registry: retry later."""


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    envelope: Envelope | None = None
    error: str | None = None

    @property
    def event_type(self) -> str:
        return self.envelope.type if self.envelope else "unparsable"


def use_handlers(app: Flask, handlers: EventHandlers) -> None:
    """Consume with ``handlers`` instead of ``services/<svc>/events.handlers``."""
    runtime(app).extras[HANDLERS_EXTRA] = handlers


def service_handlers(app: Flask) -> EventHandlers:
    """The built-in tenant lifecycle handlers plus the service's own."""
    rt = runtime(app)
    own = rt.extras.get(HANDLERS_EXTRA) or declared_handlers(rt.service)
    return combine(rt.service, [tenant_lifecycle_handlers(rt), own])


class EventProcessor:
    """Apply events for one consuming service, each at most once in effect."""

    def __init__(self, app: Flask, handlers: EventHandlers | None = None) -> None:
        self.app = app
        self.service = runtime(app).service
        self.handlers = handlers or service_handlers(app)

    @property
    def patterns(self) -> list[str]:
        return self.handlers.patterns

    def process(self, body: bytes | str) -> Result:
        try:
            envelope = Envelope.from_json(body)
        except MalformedEvent as exc:
            log.warning("event_malformed", service=self.service, error=str(exc))
            return Result(Outcome.DEAD, None, f"{type(exc).__name__}: {exc}")

        handlers = self.handlers.for_type(envelope.type)
        if not handlers:
            return Result(Outcome.IGNORED, envelope)

        with structlog.contextvars.bound_contextvars(
            service=self.service,
            tenant_id=envelope.tenant_id,
            correlation_id=envelope.correlation_id,
            event_id=envelope.id,
            event_type=envelope.type,
        ):
            try:
                applied = self._apply(envelope, handlers)
            except OperationalError:
                raise  # the database is down, not the event: the transport waits
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried
                log.warning("event_handler_failed", error=repr(exc)[:300])
                return Result(Outcome.RETRY, envelope, f"{type(exc).__name__}: {exc}")

        if not applied:
            metrics.DUPLICATES.labels(self.service, envelope.type).inc()
            log.info("event_duplicate_skipped")
            return Result(Outcome.DUPLICATE, envelope)
        metrics.CONSUMED.labels(self.service, envelope.type).inc()
        return Result(Outcome.APPLIED, envelope)

    def _tenant(self, envelope: Envelope) -> Tenant:
        rt = runtime(self.app)
        if envelope.type.startswith("tenant."):
            return tenant_from_event(rt.registry, envelope)
        tenant = rt.registry.by_id(envelope.tenant_id)
        if tenant is None:
            rt.registry.invalidate()
            tenant = rt.registry.by_id(envelope.tenant_id)
        if tenant is None:
            raise TenantUnknown(f"tenant {envelope.tenant_id} is not registered here")
        return tenant

    def _apply(self, envelope: Envelope, handlers: list[Any]) -> bool:
        """Record the inbox row, run the handlers, commit: one transaction.

        The inbox row comes first, so even a handler that commits by itself
        commits the row with its effects, and a concurrent duplicate delivery
        waits on that row and then does nothing.
        """
        db = runtime(self.app).db
        tenant = self._tenant(envelope)
        token = _handling.set(envelope)
        try:
            with self.app.app_context(), tenant_scope(tenant):
                session = db.session
                try:
                    if self._seen(session, envelope):
                        return False
                    preparers = self.handlers.preparers_for(envelope.type)
                    if preparers:
                        session.rollback()  # no lock held while they run
                    for prepare in preparers:
                        prepare(envelope)
                    if not self._record(session, envelope):
                        return False
                    for handler in handlers:
                        handler(envelope, session)
                    session.commit()
                finally:
                    session.rollback()
                    session.close()
            if envelope.type.startswith("tenant."):
                runtime(self.app).registry.invalidate()
            return True
        finally:
            _handling.reset(token)

    def _seen(self, session: Any, envelope: Envelope) -> bool:
        found = session.execute(
            select(inbox.c.event_id).where(
                inbox.c.consumer == self.service, inbox.c.event_id == envelope.id
            )
        ).first()
        return found is not None

    def _record(self, session: Any, envelope: Envelope) -> bool:
        """Insert the inbox row; False if a concurrent delivery got there first."""
        dialect = session.connection().dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(inbox)
        statement = insert.values(
            consumer=self.service,
            event_id=envelope.id,
            event_type=envelope.type,
            tenant_id=envelope.tenant_id,
            applied_at=datetime.now(UTC),
        ).on_conflict_do_nothing()
        inserted = session.execute(statement.returning(inbox.c.event_id)).first()
        return inserted is not None
