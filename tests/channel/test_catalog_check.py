"""Products a placement names are hidden when retired or not sold on the channel."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.channel.catalog import CatalogClients
from tests.channel.harness import NORTHWIND, host

FEATURED = "/api/channel/placements?channel=web&slot=home-featured&locale=en-GB"


def _featured(client):
    answer = client.get(FEATURED, headers=host(NORTHWIND))
    assert answer.status_code == 200, answer.get_json()
    [item] = answer.get_json()["items"]
    return [p["code"] for p in item["products"]]


def test_retired_products_and_products_not_sold_on_the_channel_are_hidden(
    channel_app,
):
    app, catalog, _ = channel_app
    client = app.test_client()
    before = _featured(client)

    catalog.retire(NORTHWIND, "device-pixel-9")
    catalog.only_on(NORTHWIND, "device-fairphone-5", ["retail"])
    after = _featured(client)

    print(f"\nweb home-featured: {before} -> {after}")
    assert before == ["device-iphone-16", "device-pixel-9", "device-fairphone-5"]
    assert after == ["device-iphone-16"]


class _Catalog(BaseHTTPRequestHandler):
    delay_s = 0.0
    hosts: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib names it
        type(self).hosts.append(self.headers.get("Host"))
        time.sleep(type(self).delay_s)
        code = self.path.rsplit("/", 1)[-1]
        if code == "device-iphone-15":
            body, status = {"code": code, "status": "retired"}, 200
        elif code.startswith("device-"):
            body, status = {"code": code, "name": code.title(), "status": "active"}, 200
        else:
            body, status = {"title": "Not found"}, 404
        raw = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        return


@pytest.fixture
def catalog_server():
    _Catalog.delay_s, _Catalog.hosts = 0.0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Catalog)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Catalog.delay_s = 0.0
    server.shutdown()
    server.server_close()


def test_the_catalog_client_asks_over_http_and_survives_a_slow_catalog(
    catalog_server,
):
    clients = CatalogClients(timeout_s=0.3)
    client = clients.for_request(catalog_server, "northwind.localhost", NORTHWIND.id)

    shown = client.offered("device-pixel-9", "web")
    retired = client.offered("device-iphone-15", "web")
    unknown = client.offered("plan-nothing", "web")
    _Catalog.delay_s = 2.0
    slow = clients.for_request(catalog_server, "northwind.localhost", NORTHWIND.id)
    slow.max_age_s = 0.0
    started = time.perf_counter()
    answers = [slow.offered("device-galaxy-s25", "web") for _ in range(6)]
    elapsed = time.perf_counter() - started

    codes = [a and a.get("code") for a in answers]
    print(
        f"\ncatalog slow: 6 checks in {elapsed:.2f}s, breaker "
        f"{slow.breaker.current_state}; answers {codes}"
    )
    assert shown["name"] == "Device-Pixel-9"
    assert retired is None and unknown is None
    assert _Catalog.hosts[0] == "northwind.localhost"
    assert all(a is not None for a in answers)
    assert slow.breaker.current_state == "open"
    assert elapsed < 3 * 0.3 + 1.0
