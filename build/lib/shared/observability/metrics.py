"""Prometheus metrics that add up across gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``telecart serve`` sets and cleans it),
each worker writes its samples to files there and ``/metrics`` collects all of
them; gunicorn's ``child_exit`` hook marks a dead worker's files.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "telecart_http_requests_total",
    "HTTP requests answered",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "telecart_http_request_seconds",
    "Time to answer an HTTP request",
    ["service", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def metrics_response() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def instrument(app: Flask, service: str) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.telecart_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("telecart_started")
        if started is not None:
            HTTP_LATENCY.labels(service, route).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(service, request.method, route, response.status_code).inc()
        return response
