"""RFC 7807 problem documents for every failure a service can answer with.

Each service raises a ``Problem`` subclass named for the condition; one handler
turns it, any werkzeug HTTP error and any unexpected exception into
``application/problem+json``. No stack trace, SQL or secret reaches a body.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Response, json

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://telecart.dev/problems/"


class Problem(Exception):
    """A domain condition that maps to one HTTP answer."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Unprocessable(Problem):
    status, slug, title = 422, "unprocessable", "The request cannot be processed"


class UnknownTenant(NotFound):
    slug, title = "unknown-tenant", "No brand is served at this host"


class TenantSuspended(Forbidden):
    slug, title = "tenant-suspended", "This brand is suspended"


def problem_body(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    phrase = (
        HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    )
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or phrase.lower().replace(" ", "-") or "error"),
        "title": title or phrase or "Error",
        "status": status,
        "detail": detail or title or phrase,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(
    status: int, headers: dict[str, str] | None = None, **kwargs: Any
) -> Response:
    response = Response(
        json.dumps(problem_body(status, **kwargs)),
        status=status,
        mimetype=PROBLEM_MEDIA_TYPE,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(
    messages: Any, location: str | None = None, prefix: str = ""
) -> list[dict[str, str]]:
    """Flatten marshmallow/webargs messages into one entry per field."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if location is None and key in {
                "json",
                "query",
                "headers",
                "form",
                "files",
                "cookies",
                "path",
            }:
                out.extend(field_errors(value, key, prefix))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(field_errors(value, location, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.append(
            {
                "field": prefix or "_schema",
                "location": location or "json",
                "message": " ".join(messages),
            }
        )
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            out.extend(field_errors(value, location, f"{prefix}[{index}]"))
    else:
        out.append(
            {
                "field": prefix or "_schema",
                "location": location or "json",
                "message": str(messages),
            }
        )
    return out


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(required=True)
    location = ma.fields.String()
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """The documented shape of every error answer."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))
