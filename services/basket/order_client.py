"""The hand-off to the order service, behind one interface.

The order service is built in parallel. The basket creates an order with::

    POST /api/order/orders          Host: {slug}.{PLATFORM_DOMAIN}
    Idempotency-Key: basket-checkout-{basket_id}
    {basket_id, customer_id, channel, currency, contact, delivery_address,
     payment_method_token, lines: [...], totals: {...}, promotion_codes: [...]}
    -> 201 (or the first answer again) {reference, status}

The key is derived from the basket id, so a retried checkout (a time-out, a
crash before our commit) creates one order. Adapt the path and body here, and
only here, when the order service lands.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pybreaker
import requests
import structlog

log = structlog.get_logger(__name__)


class OrderServiceError(Exception):
    """The order service refused or could not take the order."""


@dataclass(frozen=True)
class OrderReceipt:
    reference: str
    status: str


class OrderClient(Protocol):
    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        """Create the order once per key; a repeat returns the same receipt."""


def checkout_key(basket_id: str) -> str:
    return f"basket-checkout-{basket_id}"


@dataclass
class HttpOrderClient:
    base_url: str
    timeout_s: float = 5.0
    breaker: pybreaker.CircuitBreaker = field(
        default_factory=lambda: pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    )
    session: requests.Session = field(default_factory=requests.Session)

    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        url = self.base_url.rstrip("/") + "/api/order/orders"
        headers = {"Host": host, "Idempotency-Key": idempotency_key}

        def send() -> requests.Response:
            response = self.session.post(
                url, json=dict(order), headers=headers, timeout=self.timeout_s
            )
            if response.status_code >= 500:
                raise OrderServiceError(
                    f"order service answered {response.status_code}"
                )
            return response

        try:
            response = self.breaker.call(send)
        except (pybreaker.CircuitBreakerError, requests.RequestException) as exc:
            log.warning("order_service_unreachable", error=type(exc).__name__)
            raise OrderServiceError(type(exc).__name__) from exc
        if response.status_code not in (200, 201):
            raise OrderServiceError(f"order service answered {response.status_code}")
        body = response.json()
        return OrderReceipt(reference=body["reference"], status=body.get("status", ""))


class FakeOrderClient:
    """The order service's contract in memory: one order per idempotency key."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self._lock = threading.Lock()

    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        with self._lock:
            self.calls += 1
            stored = self.orders.get(idempotency_key)
            if stored is None:
                # A pre-order waits (held) until stock arrives.
                status = "held" if order.get("preorder") else "placed"
                stored = {
                    "reference": "ORD-" + uuid.uuid4().hex[:10].upper(),
                    "status": status,
                    "order": dict(order),
                    "host": host,
                }
                self.orders[idempotency_key] = stored
            return OrderReceipt(stored["reference"], stored["status"])
