"""All six services as one WSGI application, routed like the ingress.

``/api/<service>/...`` goes to that service's app, unchanged, exactly as the
Kubernetes ingress and the nginx configuration route it; anything else gets a
problem+json 404.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from flask import Flask, json

from shared import SERVICES
from shared.config import Settings
from shared.http.problems import PROBLEM_MEDIA_TYPE, problem_body


def create_service(name: str, settings: Settings | None = None) -> Flask:
    module = importlib.import_module(f"services.{name}.app")
    return module.create_app(settings)


class PlatformDispatcher:
    """Pick the service app by the first path segment after ``/api/``."""

    def __init__(self, apps: dict[str, Flask], fallback=None) -> None:
        self.apps = apps
        self.fallback = fallback

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        parts = path.split("/", 3)
        if len(parts) > 2 and parts[1] == "api" and parts[2] in self.apps:
            return self.apps[parts[2]](environ, start_response)
        if path in ("/healthz", "/readyz", "/metrics"):
            return self.apps["tenant"](environ, start_response)
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        body = json.dumps(
            problem_body(404, detail=f"no service serves {path}")
        ).encode()
        start_response(
            "404 NOT FOUND",
            [("Content-Type", PROBLEM_MEDIA_TYPE), ("Content-Length", str(len(body)))],
        )
        return [body]


def create_platform(
    settings: Settings | None = None, services: Iterable[str] = SERVICES
) -> PlatformDispatcher:
    return PlatformDispatcher(
        {name: create_service(name, settings) for name in services}
    )
