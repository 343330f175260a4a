"""The saga's clock: ``tick`` for every active brand, once or every few seconds.

Deployed, a CronJob runs ``telecart order tick``; the embedded platform
(``telecart run``) has no scheduler, so it runs an ``OrderClock`` thread.
"""

from __future__ import annotations

import threading

import structlog
from flask import Flask

from services.order import service
from services.order.models import db
from shared.http.app import runtime
from shared.tenancy.context import tenant_scope

log = structlog.get_logger(__name__)


def tick_every_brand(app: Flask) -> list[tuple[str, service.TickReport]]:
    """One tick per active brand, each in its own tenant scope."""
    reports = []
    with app.app_context():
        for tenant in runtime(app).registry.all():
            if not tenant.is_active:
                continue
            with tenant_scope(tenant):
                try:
                    reports.append((tenant.slug, service.tick()))
                finally:
                    db.session.remove()
    return reports


class OrderClock:
    """A daemon thread that ticks every ``every_s`` seconds until stopped."""

    def __init__(self, app: Flask, every_s: float = 1.0) -> None:
        self.app = app
        self.every_s = every_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="order-clock", daemon=True
        )

    def start(self) -> OrderClock:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.wait(self.every_s):
            try:
                tick_every_brand(self.app)
            except Exception:  # noqa: BLE001 - the clock must keep ticking
                log.exception("order_clock_tick_failed")
