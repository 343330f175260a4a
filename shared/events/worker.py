"""One service's event worker: the outbox relay and the consumer, together.

``telecart worker <service>`` runs this. The relay runs in a thread, the
consumer in the calling thread; both reconnect by themselves after a broker
restart, and both stop cleanly on SIGTERM (Kubernetes) or Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import threading

import structlog
from flask import Flask
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    multiprocess,
    start_http_server,
)

from shared.events.amqp import AmqpPublisher, BrokerOptions, Topology, broker_check
from shared.events.consumer import AmqpConsumer, ConsumerPolicy
from shared.events.processing import EventProcessor
from shared.events.relay import OutboxRelay
from shared.http.app import runtime

log = structlog.get_logger(__name__)


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    """Expose the worker's metrics: it has no web app of its own to serve them."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)
    log.info("worker_metrics_served", port=port)


def add_broker_readiness(app: Flask) -> None:
    """``/readyz`` also reports whether the broker answers (not for memory://)."""
    settings = runtime(app).settings
    if settings.uses_broker:
        runtime(app).advisory.pop("broker", None)  # here it gates readiness
        runtime(app).readiness["broker"] = broker_check(
            settings.broker_url, BrokerOptions.from_settings(settings)
        )


class EventWorker:
    def __init__(
        self,
        app: Flask,
        *,
        topology: Topology | None = None,
        relay_id: str | None = None,
        options: BrokerOptions | None = None,
    ) -> None:
        rt = runtime(app)
        settings = rt.settings
        options = options or BrokerOptions.from_settings(settings)
        self.service = rt.service
        self.topology = topology or Topology.for_exchange(settings.events_exchange)
        self.stop_event = threading.Event()
        self.relay = OutboxRelay(
            rt.engine,
            rt.service,
            AmqpPublisher(settings.broker_url, self.topology, options),
            lease_s=settings.event_relay_lease_s,
            relay_id=relay_id,
        )
        self.consumer = AmqpConsumer(
            settings.broker_url,
            EventProcessor(app),
            self.topology,
            ConsumerPolicy.from_settings(settings),
            options,
        )
        add_broker_readiness(app)
        self._relay_thread: threading.Thread | None = None
        self._consumer_thread: threading.Thread | None = None

    def start(self) -> None:
        """Run relay and consumer in background threads (tests, ``telecart run``)."""
        self._relay_thread = threading.Thread(
            target=self.relay.run, args=(self.stop_event,), daemon=True
        )
        self._consumer_thread = threading.Thread(
            target=self.consumer.run, args=(self.stop_event,), daemon=True
        )
        self._consumer_thread.start()
        self._relay_thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self.stop_event.set()
        for thread in (self._relay_thread, self._consumer_thread):
            if thread is not None:
                thread.join(timeout_s)

    def run_until_signalled(self) -> None:
        """The worker process: relay in a thread, consumer here, until a signal."""

        def request_stop(signum, _frame) -> None:
            log.info("worker_stopping", service=self.service, signal=signum)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self._relay_thread = threading.Thread(
            target=self.relay.run, args=(self.stop_event,), name="relay", daemon=True
        )
        self._relay_thread.start()
        log.info(
            "worker_started", service=self.service, exchange=self.topology.exchange
        )
        self.consumer.run(self.stop_event)
        self._relay_thread.join(10)
