"""gunicorn, embedded: ``telecart serve <service>`` runs this."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from shared.config import Settings


def _child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)


class ServiceServer(BaseApplication):
    """One service's web process: gthread workers, app built after the fork."""

    def __init__(
        self, service: str, settings: Settings, *, bind: str, workers: int, threads: int
    ) -> None:
        self.service = service
        self.settings = settings
        self.options = {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "graceful_timeout": 20,
            "timeout": 30,
            "keepalive": 5,
            "accesslog": None,
            "child_exit": _child_exit,
            "proc_name": f"telecart-{service}",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from services.platform import create_service

        return create_service(self.service, self.settings)
