"""The external product service slow, failing and down: the circuit opens,
the catalog keeps answering from its last good data, and it recovers.

The external system is a real HTTP server on a local port, serving the
device-master feed in its own shape.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.catalog import service
from services.catalog.device_master import DeviceMasterClient
from services.catalog.models import db
from shared.http.app import runtime
from tests.catalog.harness import NORTHWIND, build_app, host, import_brand
from tests.support.data import DEVICE_FEED

FEED = DEVICE_FEED.read_bytes()


class FeedServer:
    """A device-master stand-in whose behaviour a test switches at will."""

    def __init__(self, port: int = 0) -> None:
        self.mode = "ok"
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                outer.hits += 1
                if outer.mode == "slow":
                    time.sleep(1.0)
                if outer.mode == "fail":
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(FEED)))
                    self.end_headers()
                    self.wfile.write(FEED)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: that is the point

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/devices"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.stop()


def refresh(app, client):
    with app.app_context():
        started = time.perf_counter()
        answer = service.refresh_device_master(client)
        db.session.remove()
    return answer, time.perf_counter() - started


def device_of(app, sku="DEV-IPHONE-16-128-BLACK"):
    response = app.test_client().get(
        "/api/catalog/products/device-iphone-16", headers=host(NORTHWIND)
    )
    assert response.status_code == 200
    runtime(app).extras["catalog_cache"].invalidate(NORTHWIND.id)
    variant = next(v for v in response.get_json()["variants"] if v["sku"] == sku)
    return variant["device"]


def readiness(app):
    body = app.test_client().get("/api/catalog/readyz").get_json()
    return body["ready"], body["checks"]["device_master"]["detail"]


def test_slow_failing_and_down_upstream_opens_the_circuit_and_recovers(
    sqlite_url, feed
):
    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    client = DeviceMasterClient(
        feed.url, timeout_s=0.3, attempts=2, fail_max=2, reset_timeout_s=1.0
    )
    runtime(app).extras["device_master"] = client
    runtime(app).readiness["device_master"] = client.readiness

    live, _ = refresh(app, client)
    assert live["live"] and live["stored"] >= 27
    assert device_of(app)["rrp"] == {"amount": 79900, "currency": "GBP"}
    print(f"\nlive: {live['devices']} devices stored; readyz: {readiness(app)[1]}")

    figures = {}
    for mode in ("slow", "fail"):
        feed.mode = mode
        answers = [refresh(app, client) for _ in range(3)]
        hits_before = feed.hits
        fast, seconds = refresh(app, client)
        figures[mode] = (
            [round(s, 2) for _, s in answers],
            seconds,
            feed.hits - hits_before,
        )
        assert all(
            not a["live"] and a["devices"] == live["devices"] for a, _ in answers
        )
        assert client.breaker.current_state == "open"
        assert feed.hits == hits_before  # open circuit: the upstream is not called
        assert seconds < 0.1
        assert device_of(app)["name"] == "Apple iPhone 16"
        ready, detail = readiness(app)
        assert ready and "degraded" in detail and "circuit open" in detail
        print(
            f"{mode}: refresh seconds {figures[mode][0]}, then {seconds:.3f}s "
            f"with the circuit open; readyz: {detail}"
        )
        feed.mode = "ok"
        time.sleep(1.1)
        recovered, _ = refresh(app, client)
        assert recovered["live"] and client.breaker.current_state == "closed"

    port = feed.port
    feed.stop()
    down = [refresh(app, client)[0] for _ in range(3)]
    assert not any(a["live"] for a in down)
    assert client.breaker.current_state == "open"
    assert device_of(app)["name"] == "Apple iPhone 16"
    print(f"down: circuit {client.breaker.current_state}; catalog still serves")

    back = FeedServer(port)
    try:
        time.sleep(1.1)
        recovered, _ = refresh(app, client)
        ready, detail = readiness(app)
        print(f"back: live={recovered['live']}; readyz: {detail}")
        assert recovered["live"] and detail.startswith("live; circuit closed")
    finally:
        back.stop()


def test_with_no_good_data_yet_an_outage_is_reported(sqlite_url, feed):
    app = build_app(sqlite_url)
    client = DeviceMasterClient(feed.url, timeout_s=0.3, attempts=1, fail_max=5)
    runtime(app).readiness["device_master"] = client.readiness
    feed.mode = "fail"

    with pytest.raises(Exception) as raised:
        refresh(app, client)

    assert type(raised.value).__name__ == "DeviceMasterUnavailable"
    assert "last good data from never" in readiness(app)[1]


def test_a_brand_overrides_a_shared_device_without_touching_the_others(
    sqlite_url, feed
):
    from tests.catalog.harness import HARBOR, admin

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    import_brand(app, HARBOR)
    refresh(app, DeviceMasterClient(feed.url))
    staff = admin(NORTHWIND)

    done = app.test_client().put(
        "/api/catalog/admin/devices/0195949822014",
        json={"name": "iPhone 16 (Northwind edition)", "images": ["/nw/ip16.jpg"]},
        headers=staff,
    )
    bad = app.test_client().put(
        "/api/catalog/admin/devices/not-a-gtin", json={"name": "x"}, headers=staff
    )
    harbor = app.test_client().get(
        "/api/catalog/products/device-iphone-16", headers=host(HARBOR)
    )

    assert done.status_code == 200, done.get_json()
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "gtin"
    northwind_device = device_of(app)
    assert northwind_device["name"] == "iPhone 16 (Northwind edition)"
    assert northwind_device["images"] == ["/nw/ip16.jpg"]
    assert northwind_device["rrp"]["amount"] == 79900  # still the shared record
    assert harbor.get_json()["variants"][0]["device"]["name"] == "Apple iPhone 16"


def test_the_sync_devices_command_fills_the_shared_table(sqlite_url, feed, monkeypatch):
    from click.testing import CliRunner

    from services.cli import main

    build_app(sqlite_url)
    monkeypatch.setenv("CATALOG_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DEVICE_MASTER_URL", feed.url)

    result = CliRunner().invoke(main, ["catalog", "sync-devices"])

    assert result.exit_code == 0, result.output
    assert "devices: 30 (live)" in result.output


def test_catalog_settings_are_checked_at_start_up(monkeypatch):
    from shared.config import ConfigError, load_settings

    monkeypatch.setenv("DEVICE_MASTER_URL", "ftp://feeds.example/devices")
    with pytest.raises(ConfigError, match="DEVICE_MASTER_URL"):
        load_settings()
