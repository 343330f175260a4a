"""Client of the external product service (device master data) and its sync.

The external system speaks its own shape (``items`` with ``manufacturer``,
``model``, ``rrp: {amount, currency}`` ...); ``map_item`` turns one item into
our ``DeviceMaster`` row. Each fetch has a timeout, a few quick retries
(tenacity) for timeouts, refused connections and 5xx answers, and runs behind
a circuit breaker (pybreaker): after ``fail_max`` failed fetches the client
stops calling for ``reset_timeout_s`` and answers from its last good data at
once. The synced rows stay in the platform-wide ``device_master`` table, so
the catalog keeps serving devices while the external system is down;
``readiness`` says which data it serves and why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pybreaker
import requests
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from services.catalog.models import DeviceMaster

log = structlog.get_logger(__name__)


class DeviceMasterUnavailable(RuntimeError):
    """The external system failed and there is no earlier good data."""


class UpstreamServerError(RuntimeError):
    """A 5xx answer: worth another try."""


class FeedRejected(RuntimeError):
    """A 4xx answer or a body not in the feed's shape: retrying will not help."""


@dataclass(frozen=True)
class FeedResult:
    items: list[dict[str, Any]]
    live: bool
    fetched_at: datetime


def map_item(item: dict[str, Any]) -> dict[str, Any]:
    """One item of the external feed as the columns of ``DeviceMaster``."""
    rrp = item.get("rrp") or {}
    screen = item.get("screen_in")
    return {
        "gtin": str(item["gtin"]),
        "manufacturer": str(item["manufacturer"]),
        "model": str(item["model"]),
        "storage_gb": item.get("storage_gb"),
        "colour": item.get("colour"),
        "network": item.get("network"),
        "esim": item.get("esim"),
        "screen_in": None if screen is None else str(screen),
        "rrp_amount": rrp.get("amount"),
        "rrp_currency": rrp.get("currency"),
    }


class DeviceMasterClient:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 2.0,
        attempts: int = 3,
        fail_max: int = 3,
        reset_timeout_s: float = 30.0,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout_s,
            exclude=[FeedRejected],
            name="device-master",
        )
        self._lock = threading.Lock()
        self._last_good: FeedResult | None = None
        self._last_error: str | None = None
        self._session = requests.Session()

    def _get(self) -> list[dict[str, Any]]:
        response = self._session.get(self.url, timeout=self.timeout_s)
        if response.status_code >= 500:
            raise UpstreamServerError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FeedRejected(f"HTTP {response.status_code}")
        try:
            return [map_item(item) for item in response.json()["items"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedRejected(f"not the device-master shape: {exc!r}") from None

    def _get_with_retries(self) -> list[dict[str, Any]]:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.05, max=0.5),
            retry=retry_if_exception_type(
                (requests.Timeout, requests.ConnectionError, UpstreamServerError)
            ),
            reraise=True,
        )
        return retrying(self._get)

    def fetch(self) -> FeedResult:
        """Live data if the external system answers, else the last good data."""
        try:
            items = self.breaker.call(self._get_with_retries)
        except (pybreaker.CircuitBreakerError, requests.RequestException) as exc:
            return self._fallback(exc)
        except (UpstreamServerError, FeedRejected) as exc:
            return self._fallback(exc)

        result = FeedResult(items, live=True, fetched_at=datetime.now(UTC))
        with self._lock:
            self._last_good, self._last_error = result, None
        return result

    def _fallback(self, exc: Exception) -> FeedResult:
        with self._lock:
            self._last_error = type(exc).__name__
            last_good = self._last_good
        log.warning(
            "device_master_unavailable",
            error=type(exc).__name__,
            circuit=self.breaker.current_state,
            serving="last_good" if last_good else "nothing",
        )
        if last_good is None:
            raise DeviceMasterUnavailable(type(exc).__name__) from exc
        return FeedResult(last_good.items, live=False, fetched_at=last_good.fetched_at)

    def readiness(self) -> tuple[bool, str]:
        """Never fails the service: the catalog answers from stored data."""
        with self._lock:
            last_good, error = self._last_good, self._last_error
        state = self.breaker.current_state
        if error is None and last_good is not None:
            return True, f"live; circuit {state}; {len(last_good.items)} devices"
        since = last_good.fetched_at.isoformat() if last_good else "never"
        return True, (
            f"degraded: serving last good data from {since}; "
            f"circuit {state}; last error {error or 'none'}"
        )


def sync_device_master(session: Session, result: FeedResult) -> int:
    """Upsert the fetched devices into the platform-wide table. Does not commit."""
    current = {
        row.gtin: row
        for row in session.scalars(
            select(DeviceMaster).where(
                DeviceMaster.gtin.in_([i["gtin"] for i in result.items])
            )
        )
    }
    for item in result.items:
        row = current.get(item["gtin"])
        if row is None:
            row = DeviceMaster(gtin=item["gtin"])
            session.add(row)
        for name, value in item.items():
            setattr(row, name, value)
        row.fetched_at = result.fetched_at
    session.flush()
    log.info("device_master_synced", devices=len(result.items), live=result.live)
    return len(result.items)
