"""A bounded, rate-limited cache of the tenant service's public keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import structlog
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from shared.http.problems import Problem

log = structlog.get_logger(__name__)

JwksFetch = Callable[[], dict[str, Any]]


class JwksUnavailable(Problem):
    """No key set younger than the maximum age: tokens cannot be checked."""

    status, slug, title = 503, "key-set-unavailable", "Tokens cannot be verified now"


class HttpJwksSource:
    """Fetch a JWKS document over HTTP with a timeout (TENANT_JWKS_URL)."""

    def __init__(self, url: str, timeout_s: float = 2.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._session = requests.Session()

    def __call__(self) -> dict[str, Any]:
        response = self._session.get(self.url, timeout=self.timeout_s)
        response.raise_for_status()
        return response.json()


_in_process: JwksFetch | None = None


def provide_jwks_in_process(fetch: JwksFetch | None) -> None:
    """Embedded mode: the tenant service hands its key set to the other apps."""
    global _in_process
    _in_process = fetch


def in_process_jwks() -> dict[str, Any]:
    """The key set from the in-process provider (raises if there is none)."""
    if _in_process is None:
        raise RuntimeError("no in-process key provider: the tenant app is not loaded")
    return _in_process()


class JwksCache:
    """Public keys by ``kid``, refreshed on a TTL and on demand, within limits.

    - fresh for ``ttl_s``; after that the next lookup refetches;
    - an unknown ``kid`` triggers a refetch at most once per
      ``min_refresh_interval_s`` (a flood of made-up kids cannot hammer the
      tenant service);
    - if a refetch fails, the last good keys keep serving, but only until they
      are ``max_age_s`` old: a removed key is never trusted for ever;
    - at most ``max_keys`` keys are kept.
    """

    def __init__(
        self,
        fetch: JwksFetch,
        *,
        ttl_s: float = 300.0,
        max_age_s: float = 3600.0,
        min_refresh_interval_s: float = 10.0,
        max_keys: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._max_age_s = max_age_s
        self._min_refresh_interval_s = min_refresh_interval_s
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self.fetches = 0

    def key(self, kid: str) -> Any | None:
        """The public key for ``kid``, or None if the key set does not hold it."""
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl_s:
                self._refresh(now)
            elif kid not in self._keys and self._may_retry(now):
                self._refresh(now)

            if self._fetched_at is None or now - self._fetched_at > self._max_age_s:
                raise JwksUnavailable(
                    "the key set could not be fetched and the cached one is too old"
                )
            return self._keys.get(kid)

    def _may_retry(self, now: float) -> bool:
        return (
            self._attempted_at is None
            or now - self._attempted_at >= self._min_refresh_interval_s
        )

    def _refresh(self, now: float) -> None:
        if not self._may_retry(now) and self._fetched_at is not None:
            return
        self._attempted_at = now
        self.fetches += 1
        try:
            document = self._fetch()
        except Exception as exc:  # noqa: BLE001 - any failure keeps the old keys
            log.warning("jwks_fetch_failed", error=type(exc).__name__)
            return

        keys: dict[str, Any] = {}
        for entry in (document.get("keys") or [])[: self._max_keys]:
            if entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            if entry.get("use", "sig") != "sig":
                continue
            try:
                keys[entry["kid"]] = PyJWK.from_dict(entry, algorithm="RS256").key
            except PyJWKError:
                log.warning("jwks_key_skipped", kid=entry.get("kid"))
        self._keys = keys
        self._fetched_at = now
