"""Per-tenant read cache: Redis when REDIS_URL is set, a process dict otherwise.

Every key starts with the tenant id (``<tenant_id>:catalog:...``), so one
brand's cached catalog can never answer for another. Invalidation bumps the
tenant's generation number: keys of older generations are never read again
and expire by their TTL.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


class CacheBackend(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_s: int) -> None: ...
    def incr(self, key: str) -> int: ...
    def keys(self) -> list[str]: ...


class InProcessBackend:
    def __init__(self) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            return hit[1]

    def set(self, key: str, value: str, ttl_s: int) -> None:
        with self._lock:
            if len(self._data) > 10_000:
                self._data.clear()
            self._data[key] = (time.monotonic() + ttl_s, value)

    def incr(self, key: str) -> int:
        with self._lock:
            current = int(self._data.get(key, (0, "0"))[1]) + 1
            self._data[key] = (float("inf"), str(current))
            return current

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._data)


class RedisBackend:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(
            url, socket_timeout=0.2, socket_connect_timeout=0.2, decode_responses=True
        )

    def get(self, key: str) -> str | None:
        return self._redis.get(key)

    def set(self, key: str, value: str, ttl_s: int) -> None:
        self._redis.set(key, value, ex=ttl_s)

    def incr(self, key: str) -> int:
        return int(self._redis.incr(key))

    def keys(self) -> list[str]:
        return list(self._redis.scan_iter("*:catalog:*"))


class CatalogCache:
    """Cache reads of one tenant's catalog; a cache outage only costs speed."""

    def __init__(self, backend: CacheBackend, ttl_s: int = 60) -> None:
        self.backend = backend
        self.ttl_s = ttl_s

    def _generation(self, tenant_id: str) -> str:
        return self.backend.get(f"{tenant_id}:catalog:generation") or "0"

    def key(self, tenant_id: str, name: str) -> str:
        return f"{tenant_id}:catalog:g{self._generation(tenant_id)}:{name}"

    def get(self, tenant_id: str, name: str) -> Any | None:
        try:
            raw = self.backend.get(self.key(tenant_id, name))
        except Exception as exc:  # noqa: BLE001 - a cache outage is not an error
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)
            return None
        return None if raw is None else json.loads(raw)

    def set(self, tenant_id: str, name: str, value: Any) -> None:
        try:
            self.backend.set(self.key(tenant_id, name), json.dumps(value), self.ttl_s)
        except Exception as exc:  # noqa: BLE001 - a cache outage is not an error
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)

    def readiness(self) -> tuple[bool, str]:
        """A cache outage slows reads down; it never makes the service unready."""
        try:
            self.backend.get("readiness:probe")
            return True, f"{type(self.backend).__name__} ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            return True, f"degraded: {type(self.backend).__name__} {type(exc).__name__}"

    def invalidate(self, tenant_id: str) -> None:
        self.backend.incr(f"{tenant_id}:catalog:generation")
        log.info("catalog_cache_invalidated", tenant_id=tenant_id)


def make_cache(redis_url: str | None) -> CatalogCache:
    return CatalogCache(RedisBackend(redis_url) if redis_url else InProcessBackend())
