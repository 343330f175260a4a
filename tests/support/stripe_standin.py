"""A local HTTP server that speaks the parts of Stripe's API Telecart calls.

PaymentIntents (create with confirm, confirm, capture, cancel, retrieve) and
refunds, form-encoded like Stripe, with ``Idempotency-Key`` honoured the way
Stripe does: the first answer for a key is stored and replayed, a repeat with
other parameters is refused with an ``idempotency_error``, concurrent repeats
wait for the first. It can be told to time out (answer late, after doing the
work) or to decline a payment method, and it counts the charges it made.

Payment methods: ``pm_card_visa`` approves, ``pm_card_chargeDeclined``
declines, ``pm_card_chargeDeclinedInsufficientFunds`` declines for funds,
``pm_card_authenticationRequired`` needs 3-D Secure.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

DECLINES = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}


class StripeStandIn:
    def __init__(self) -> None:
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.charges_made = 0
        self.requests_seen = 0
        self._answers: dict[str, tuple[str, int, dict]] = {}
        self._key_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._late: list[float] = []
        self._declined: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StripeStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def charges_for(self, order_id: str) -> int:
        return sum(
            1
            for intent in self.intents.values()
            if intent["latest_charge"]
            and intent["metadata"].get("order_id") == order_id
        )

    # -- test controls ------------------------------------------------------

    def time_out_next(self, count: int = 1, delay_s: float = 1.5) -> None:
        """The next ``count`` requests do their work, then answer after a delay."""
        with self._lock:
            self._late.extend([delay_s] * count)

    def authenticate(self, intent_id: str) -> None:
        """The shopper passed 3-D Secure: the intent is authorised (charged)."""
        with self._lock:
            intent = self.intents[intent_id]
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
            intent["latest_charge"] = f"ch_{next(self._ids):08d}"
            self.charges_made += 1

    def decline(self, payment_method: str) -> None:
        self._declined.add(payment_method)

    @staticmethod
    def signed_event(
        event: dict, secret: str, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        """A webhook body and its ``Stripe-Signature`` header, as Stripe signs."""
        payload = json.dumps(event)
        stamp = int(time.time()) if timestamp is None else timestamp
        signature = hmac.new(
            secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256
        ).hexdigest()
        return payload.encode(), f"t={stamp},v1={signature}"

    def deliver(self, url: str, event: dict, secret: str, host: str) -> int:
        """POST a signed event to a webhook endpoint, as Stripe would; the status."""
        import urllib.error
        import urllib.request

        payload, header = self.signed_event(event, secret)
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": header,
                "Host": host,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    # -- the API ------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict, key: str | None):
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", "payment_intents"] and parts[:2] != ["v1", "refunds"]:
            return 404, _error("invalid_request_error", "resource_missing", path)
        if method == "GET" and len(parts) == 3 and parts[1] == "payment_intents":
            intent = self.intents.get(parts[2])
            return (200, intent) if intent else (404, _missing(parts[2]))
        if method != "POST":
            return 405, _error("invalid_request_error", "method_not_allowed", path)
        if key is None:
            return self._route(parts, params)

        fingerprint = hashlib.sha256(
            (path + json.dumps(params, sort_keys=True)).encode()
        ).hexdigest()
        with self._lock:
            key_lock = self._key_locks[key]
        with key_lock:
            stored = self._answers.get(key)
            if stored is not None:
                if stored[0] != fingerprint:
                    return 400, _error(
                        "idempotency_error",
                        "idempotency_key_in_use",
                        "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with.",
                    )
                return stored[1], stored[2]
            status, body = self._route(parts, params)
            self._answers[key] = (fingerprint, status, body)
            return status, body

    def _route(self, parts: list[str], params: dict):
        with self._lock:
            if parts[1] == "refunds" and len(parts) == 2:
                return self._refund(params)
            if len(parts) == 2:
                return self._create(params)
            intent = self.intents.get(parts[2])
            if intent is None:
                return 404, _missing(parts[2])
            action = parts[3] if len(parts) > 3 else ""
            if action == "confirm":
                return self._confirm(intent, params)
            if action == "capture":
                return self._capture(intent, params)
            if action == "cancel":
                return self._cancel(intent)
            return 404, _missing(action)

    def _create(self, params: dict):
        intent = {
            "id": f"pi_{next(self._ids):08d}",
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "capture_method": params.get("capture_method", "automatic"),
            "payment_method": params.get("payment_method"),
            "status": "requires_confirmation",
            "amount_capturable": 0,
            "amount_received": 0,
            "latest_charge": None,
            "metadata": {
                k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")
            },
        }
        self.intents[intent["id"]] = intent
        if params.get("confirm") == "true":
            return self._confirm(intent, params)
        return 200, intent

    def _confirm(self, intent: dict, params: dict):
        method = params.get("payment_method") or intent["payment_method"]
        intent["payment_method"] = method
        if method in DECLINES or method in self._declined:
            intent["status"] = "requires_payment_method"
            body = _error("card_error", "card_declined", "Your card was declined.")
            body["error"]["decline_code"] = DECLINES.get(method, "generic_decline")
            body["error"]["payment_intent"] = intent
            return 402, body
        if method == "pm_card_authenticationRequired":
            intent["status"] = "requires_action"
            return 200, intent

        self.charges_made += 1
        intent["latest_charge"] = f"ch_{next(self._ids):08d}"
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
        else:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
        return 200, intent

    def _capture(self, intent: dict, params: dict):
        if intent["status"] != "requires_capture":
            return 400, _error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                f"This PaymentIntent is {intent['status']}.",
            )
        amount = int(params.get("amount_to_capture", intent["amount_capturable"]))
        if amount > intent["amount_capturable"]:
            return 400, _error("invalid_request_error", "amount_too_large", "too much")
        intent["amount_received"] = amount
        intent["amount_capturable"] = 0
        intent["status"] = "succeeded"
        return 200, intent

    def _cancel(self, intent: dict):
        if intent["status"] == "succeeded":
            return 400, _error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                "You cannot cancel this PaymentIntent because it has a status "
                "of succeeded.",
            )
        intent["status"] = "canceled"
        intent["amount_capturable"] = 0
        return 200, intent

    def _refund(self, params: dict):
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 404, _missing(params.get("payment_intent", ""))
        refunded = sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_intent"] == intent["id"]
        )
        amount = int(params.get("amount", intent["amount_received"] - refunded))
        if refunded + amount > intent["amount_received"]:
            return 400, _error(
                "invalid_request_error",
                "charge_already_refunded",
                "Refund amount is greater than the unrefunded amount.",
            )
        refund = {
            "id": f"re_{next(self._ids):08d}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(raw, keep_blank_values=True))
                key = self.headers.get("Idempotency-Key")
                with standin._lock:
                    standin.requests_seen += 1
                    delay = standin._late.pop(0) if standin._late else 0.0

                status, body = standin.handle(method, self.path, params, key)

                if delay:
                    time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if key:
                        self.send_header("Idempotency-Key", key)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: that is the time-out

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self._serve("POST")

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve("GET")

            def log_message(self, *args) -> None:
                pass

        return Handler


def _error(kind: str, code: str, message: str) -> dict:
    return {"error": {"type": kind, "code": code, "message": message}}


def _missing(what: str) -> dict:
    return _error(
        "invalid_request_error", "resource_missing", f"No such object: {what}"
    )
