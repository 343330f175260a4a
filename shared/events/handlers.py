"""Handlers a service registers for the events it consumes.

``@handlers.on("tenant.*")`` takes an AMQP topic pattern: ``*`` matches one
dot-separated word, ``#`` zero or more. Each pattern becomes a binding of the
service's queue to the ``telecart.events`` exchange.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from shared.events.envelope import Envelope

Handler = Callable[[Envelope, Any], None]

_handling: ContextVar[Envelope | None] = ContextVar("telecart_event", default=None)


def event_being_handled() -> Envelope | None:
    """The envelope of the event whose handler is running, if any."""
    return _handling.get()


def _words_match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    if pattern[0] == "#":
        return any(_words_match(pattern[1:], words[i:]) for i in range(len(words) + 1))
    if not words or pattern[0] not in ("*", words[0]):
        return False
    return _words_match(pattern[1:], words[1:])


@lru_cache(maxsize=4096)
def topic_matches(pattern: str, routing_key: str) -> bool:
    return _words_match(tuple(pattern.split(".")), tuple(routing_key.split(".")))


class EventHandlers:
    """The handlers of one consuming service, keyed by routing-key pattern."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: list[tuple[str, Handler]] = []
        self._preparers: list[tuple[str, Callable[[Envelope], None]]] = []

    def on(self, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers.append((pattern, handler))
            return handler

        return register

    def before_transaction(
        self, pattern: str
    ) -> Callable[[Callable[[Envelope], None]], Callable[[Envelope], None]]:
        """Register idempotent work that cannot share the handler's transaction.

        It runs before the transaction that holds the inbox row, each time the
        event is not yet in the inbox (so possibly again on a redelivery):
        creating a new tenant's schema, whose DDL needs its own connection.
        """

        def register(preparer: Callable[[Envelope], None]):
            self._preparers.append((pattern, preparer))
            return preparer

        return register

    def preparers_for(self, event_type: str) -> list[Callable[[Envelope], None]]:
        return [f for p, f in self._preparers if topic_matches(p, event_type)]

    @property
    def patterns(self) -> list[str]:
        return sorted({pattern for pattern, _ in self._handlers})

    def for_type(self, event_type: str) -> list[Handler]:
        return [h for p, h in self._handlers if topic_matches(p, event_type)]

    def __add__(self, other: EventHandlers) -> EventHandlers:
        combined = EventHandlers(self.service)
        combined._handlers = [*self._handlers, *other._handlers]
        combined._preparers = [*self._preparers, *other._preparers]
        return combined


def declared_handlers(service: str) -> EventHandlers:
    """The ``handlers`` a service declares in ``services/<svc>/events.py``."""
    try:
        module = importlib.import_module(f"services.{service}.events")
    except ModuleNotFoundError:
        return EventHandlers(service)
    found = getattr(module, "handlers", None)
    return found if isinstance(found, EventHandlers) else EventHandlers(service)


def combine(service: str, groups: Iterable[EventHandlers]) -> EventHandlers:
    combined = EventHandlers(service)
    for group in groups:
        combined = combined + group
    return combined
