"""A brand's fulfilment system, as a real HTTP server in a thread.

It answers ``POST /fulfilment-requests`` (idempotent by ``request_id``) and
``DELETE /fulfilment-requests/<id>`` (409 once something was dispatched), and
sends signed status callbacks to the ``callback_url`` each request names.
It can fail (HTTP 500), refuse (HTTP 422), answer late (sleep past the
caller's time-out) and fail single items (e.g. every port-in).

Callbacks go out when the test calls ``send_callbacks()`` (deterministic) or
right after each request with ``auto_callbacks=True``. ``*.localhost`` does
not resolve here, so callbacks connect to ``callback_address`` and keep the
callback URL's host in the ``Host`` header, as DNS would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests

ITEM_EVENTS = {
    "device_shipment": "device_shipped",
    "sim_dispatch": "sim_dispatched",
    "esim_activation": "esim_code_sent",
    "number_assignment": "number_assigned",
    "port_in": "port_completed",
    "line_activation": "line_activated",
}
DISPATCHES = ("device_shipped", "sim_dispatched", "esim_code_sent")


@dataclass
class Behaviour:
    mode: str = "ok"  # ok | fail | refuse | late
    fail_times: int = 0  # the first N requests answer 500, then normally
    late_s: float = 0.0
    late_times: int = 0  # with mode "late": only the first N answers are late
    fail_items: tuple[str, ...] = ()  # item kinds that fail, e.g. ("port_in",)


@dataclass
class FulfilmentRequest:
    body: dict[str, Any]
    fulfilment_id: str
    pending: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False


class FulfilmentStandIn:
    def __init__(
        self,
        secret: str,
        callback_address: tuple[str, int] | None = None,
        auto_callbacks: bool = False,
    ) -> None:
        self.secret = secret
        self.callback_address = callback_address
        self.auto_callbacks = auto_callbacks
        self.behaviour = Behaviour()
        self.requests: dict[str, FulfilmentRequest] = {}
        self.calls = 0
        self.callback_answers: list[int] = []
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FulfilmentStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # What the server does

    def _accept(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls += 1
            behaviour = self.behaviour
            if behaviour.fail_times > 0:
                behaviour.fail_times -= 1
                return 500, {"error": "warehouse system unavailable"}
            if behaviour.mode == "fail":
                return 500, {"error": "warehouse system unavailable"}
            if behaviour.mode == "refuse":
                return 422, {"error": "address not deliverable"}
            existing = self.requests.get(body["request_id"])
            if existing is None:
                existing = FulfilmentRequest(body, "FUL-" + uuid.uuid4().hex[:8])
                existing.pending = self._script(body, existing.fulfilment_id)
                self.requests[body["request_id"]] = existing
        if behaviour.mode == "late":
            with self._lock:
                if behaviour.late_times > 0:
                    behaviour.late_times -= 1
                    if behaviour.late_times == 0:
                        behaviour.mode = "ok"  # the next answer is quick again
            time.sleep(behaviour.late_s)
        if self.auto_callbacks:
            threading.Thread(target=self.send_callbacks, daemon=True).start()
        return 202, {"fulfilment_id": existing.fulfilment_id, "status": "accepted"}

    def _cancel(self, request_id: str) -> int:
        with self._lock:
            found = self.requests.get(request_id)
            if found is None:
                return 404
            if any(c["event"] in DISPATCHES for c in found.sent):
                return 409
            found.cancelled = True
            found.pending = []
            return 204

    def _script(self, body: dict[str, Any], fulfilment_id: str) -> list[dict[str, Any]]:
        """The callbacks this request will produce, in the order they happen."""
        script = []
        for item in body["items"]:
            kind = item["kind"]
            if kind in self.behaviour.fail_items:
                script.append({"event": "failed", "reason": f"{kind} failed"})
                break
            update: dict[str, Any] = {"event": ITEM_EVENTS[kind]}
            if kind in ("device_shipment", "sim_dispatch"):
                update["tracking_number"] = "RM" + uuid.uuid4().hex[:9].upper()
                update["carrier"] = "Royal Mail"
            if kind == "number_assignment":
                update["msisdn"] = "0770090" + str(uuid.uuid4().int)[:4]
            if kind == "port_in":
                script.append({"event": "port_scheduled"})
                update["msisdn"] = item["msisdn"]
            if kind == "line_activation":
                update["msisdn"] = None
            script.append(update)
        for update in script:
            update.update(
                callback_id=uuid.uuid4().hex,
                order_id=body["order_id"],
                line_id=body["line_id"],
                fulfilment_id=fulfilment_id,
            )
        return script

    def send_callbacks(self, limit: int | None = None) -> int:
        """Send pending callbacks (all, or the first ``limit`` of each request)."""
        sent = 0
        with self._lock:
            batches = []
            for found in self.requests.values():
                take = found.pending[:limit] if limit else list(found.pending)
                found.pending = found.pending[len(take) :]
                found.sent.extend(take)
                batches.append((found.body["callback_url"], take))
        for url, updates in batches:
            for update in updates:
                self.post_callback(url, update)
                sent += 1
        return sent

    def post_callback(self, url: str, update: dict[str, Any]) -> int:
        body = json.dumps(update).encode()
        signature = (
            "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        )
        parts = urlsplit(url)
        target = url
        if self.callback_address:
            host, port = self.callback_address
            target = f"http://{host}:{port}{parts.path}"
        answer = requests.post(
            target,
            data=body,
            headers={
                "Content-Type": "application/json",
                "Host": parts.netloc,
                "X-Fulfilment-Signature": signature,
            },
            timeout=10,
        )
        self.callback_answers.append(answer.status_code)
        return answer.status_code

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _answer(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/fulfilment-requests":
                    return self._answer(404)
                status, answer = standin._accept(body)
                try:
                    self._answer(status, answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (late answer)

            def do_DELETE(self) -> None:
                prefix = "/fulfilment-requests/"
                if not self.path.startswith(prefix):
                    return self._answer(404)
                self._answer(standin._cancel(self.path[len(prefix) :]))

        return Handler
