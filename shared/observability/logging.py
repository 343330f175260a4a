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

_CARD_NUMBER = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact_card_numbers(text: str) -> str:
    """Replace every Luhn-valid run of 13 to 19 digits (spaces or dashes allowed).

    Identifiers shaped like UUIDs are left alone: they are ids, not cards.
    """
    uuids = [m.span() for m in _UUID.finditer(text)]

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        if any(start < u_end and u_start < end for u_start, u_end in uuids):
            return match.group()
        digits = re.sub(r"[ -]", "", match.group())
        return "[redacted]" if luhn_valid(digits) else match.group()

    return _CARD_NUMBER.sub(replace, text)


def _redact(value):
    if isinstance(value, str):
        return redact_card_numbers(value) if any(c.isdigit() for c in value) else value
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def _redact_card_numbers(_, __, event_dict):
    """Last line of defence: nothing that looks like a card number is written."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact(value)
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
