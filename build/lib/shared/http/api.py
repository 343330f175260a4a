"""flask-smorest's Api, answering and documenting errors as problem+json."""

from __future__ import annotations

import http
from typing import Any

import structlog
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

from shared.http.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemSchema,
    field_errors,
    problem_response,
)

log = structlog.get_logger(__name__)


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        app.register_error_handler(Problem, self.handle_problem)
        app.register_error_handler(Exception, self.handle_unexpected)

    def _register_responses(self) -> None:
        """Document every error status with the problem+json media type."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)

        response = {
            "description": "Default error response",
            "schema": self.ERROR_SCHEMA,
        }
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})

        if status == 422 and "messages" in data:
            return problem_response(
                422,
                headers=headers,
                slug="validation-failed",
                title="The request has invalid fields",
                detail="One or more fields are invalid; see errors.",
                errors=field_errors(data["messages"]),
            )

        if status >= 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error("unhandled_error", exc_info=original)
            return problem_response(
                500,
                title="Internal server error",
                detail="Something went wrong on our side.",
            )

        detail = data.get("message") or error.description
        return problem_response(status, headers=headers, detail=detail)

    def handle_problem(self, error: Problem):
        return problem_response(
            error.status,
            headers=error.headers,
            slug=error.slug,
            title=error.title,
            detail=error.detail,
            errors=error.errors,
            **error.extra,
        )

    def handle_unexpected(self, error: Exception):
        if isinstance(error, HTTPException):
            return self.handle_http_exception(error)
        log.error("unhandled_error", exc_info=error)
        return self.handle_http_exception(InternalServerError(original_exception=error))
