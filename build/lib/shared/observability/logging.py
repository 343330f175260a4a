"""JSON log lines with tenant, request and correlation ids.

Ids are bound once into structlog's context variables (by the request hooks or
the event consumer) and every line written in that unit of work carries them,
including lines from the standard library's loggers.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

_CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")


def _redact_card_numbers(_, __, event_dict):
    """Last line of defence: nothing that looks like a card number is written."""
    for key, value in list(event_dict.items()):
        if isinstance(value, str) and _CARD_NUMBER.search(value):
            event_dict[key] = _CARD_NUMBER.sub("[redacted]", value)
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "json", stream=None) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_card_numbers,
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("werkzeug", "amqp", "kombu", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def bind_ids(**ids: str | None) -> None:
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v})


def clear_ids() -> None:
    structlog.contextvars.clear_contextvars()
