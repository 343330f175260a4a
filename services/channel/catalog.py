"""Whether a product a placement names may be shown on a channel.

TODO: the catalog service is being built in parallel; this client assumes
``GET /api/catalog/products/<code>`` on the brand's own host answers 404 for
an unknown code and otherwise a body with ``status`` (``retired`` hides it)
and, optionally, ``channels`` (the channel codes it is sold on). It is the
one place to change when the catalog's contract is final.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import pybreaker
import requests
import structlog

log = structlog.get_logger(__name__)

HIDDEN_STATUSES = frozenset({"retired", "withdrawn", "draft"})


class ProductAvailability(Protocol):
    def offered(self, code: str, channel: str) -> dict[str, Any] | None:
        """The product as the storefront should show it, or None to hide it."""


def shown_on(product: dict[str, Any] | None, channel: str) -> bool:
    if product is None or product.get("status") in HIDDEN_STATUSES:
        return False
    channels = product.get("channels")
    return channels is None or channel in channels


@dataclass
class CatalogClient:
    """HTTP to the catalog service with a timeout and a circuit breaker.

    When the catalog cannot answer, the last answer for that product is used;
    a product never checked is shown (the basket checks again before it sells
    anything), so a catalog outage never empties the home page.
    """

    base_url: str
    host: str
    tenant_id: str
    breaker: pybreaker.CircuitBreaker
    timeout_s: float = 1.0
    session: requests.Session = field(default_factory=requests.Session)
    last_known: dict[str, tuple[float, dict | None]] = field(default_factory=dict)
    max_age_s: float = 60.0

    def offered(self, code: str, channel: str) -> dict[str, Any] | None:
        product = self._product(code)
        if product is not None and not shown_on(product, channel):
            return None
        return product

    def _product(self, code: str) -> dict[str, Any] | None:
        key = f"{self.tenant_id}:product:{code}"
        cached = self.last_known.get(key)
        if cached and time.monotonic() - cached[0] < self.max_age_s:
            return cached[1]

        try:
            product = self.breaker.call(self._fetch, code)
        except (pybreaker.CircuitBreakerError, requests.RequestException) as exc:
            log.warning("catalog_unavailable", code=code, error=type(exc).__name__)
            return cached[1] if cached else {"code": code, "checked": False}
        self.last_known[key] = (time.monotonic(), product)
        return product

    def _fetch(self, code: str) -> dict[str, Any] | None:
        response = self.session.get(
            f"{self.base_url}/api/catalog/products/{code}",
            headers={"Host": self.host, "Accept": "application/json"},
            timeout=self.timeout_s,
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()


class CatalogClients:
    """One breaker and answer cache per brand, shared by the app's requests."""

    def __init__(self, timeout_s: float = 1.0) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}
        self._last_known: dict[str, tuple[float, dict | None]] = {}

    def for_request(self, host_url: str, host: str, tenant_id: str) -> CatalogClient:
        with self._lock:
            breaker = self._breakers.setdefault(
                tenant_id,
                pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30),
            )
        return CatalogClient(
            base_url=host_url.rstrip("/"),
            host=host,
            tenant_id=tenant_id,
            breaker=breaker,
            timeout_s=self.timeout_s,
            last_known=self._last_known,
        )
