"""Contentful per brand: the official SDK behind a timeout and a circuit breaker.

One ``contentful.Client`` per brand and settings, built with
``content_type_cache=False`` so that building it makes no network call (and
so a brand's client never depends on the SDK's process-wide content type
cache keyed by space id). Rate-limit retries and waits are off: the SDK
would sleep in the request path; we serve the last good copy instead and
try again later.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import contentful
import pybreaker
import requests
import structlog
from contentful.errors import HTTPError as ContentfulHTTPError

from services.channel.models import ChannelSettings
from services.channel.secrets import open_secret

log = structlog.get_logger(__name__)

DEFAULT_API_URL = "cdn.contentful.com"


class ContentfulUnavailable(Exception):
    """Contentful is down, slow, rate-limiting or refusing us right now."""


@dataclass(frozen=True)
class FetchedEntry:
    entry_id: str
    content_type: str
    fields_by_locale: dict[str, dict[str, Any]]


class ContentGateway(Protocol):
    def fetch_entry(self, entry_id: str) -> FetchedEntry | None:
        """The entry in every locale, None if it is not published."""


def localized_fields(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {locale: value}}`` (Contentful's shape) as ``{locale: {field: v}}``."""
    by_locale: dict[str, dict[str, Any]] = {}
    for name, values in fields.items():
        if not isinstance(values, dict):
            continue
        for locale, value in values.items():
            by_locale.setdefault(locale, {})[name] = value
    return by_locale


class ContentfulGateway:
    def __init__(
        self, client: contentful.Client, breaker: pybreaker.CircuitBreaker
    ) -> None:
        self.client = client
        self.breaker = breaker

    def fetch_entry(self, entry_id: str) -> FetchedEntry | None:
        try:
            return self.breaker.call(self._fetch, entry_id)
        except pybreaker.CircuitBreakerError as exc:
            raise ContentfulUnavailable("circuit open") from exc
        except (ContentfulHTTPError, requests.RequestException, ValueError) as exc:
            raise ContentfulUnavailable(type(exc).__name__) from exc

    def _fetch(self, entry_id: str) -> FetchedEntry | None:
        items = self.client.entries({"sys.id": entry_id, "locale": "*"})
        if not items:
            return None

        raw = items[0].raw
        return FetchedEntry(
            entry_id=entry_id,
            content_type=raw["sys"]["contentType"]["sys"]["id"],
            fields_by_locale=localized_fields(raw.get("fields", {})),
        )


class ContentfulGateways:
    """The gateway of each brand, rebuilt when its settings change."""

    def __init__(self, timeout_s: float = 1.0, fail_max: int = 3) -> None:
        self.timeout_s = timeout_s
        self.fail_max = fail_max
        self._lock = threading.Lock()
        self._gateways: dict[str, tuple[tuple, ContentfulGateway]] = {}

    def for_brand(self, tenant_id: str, settings: ChannelSettings) -> ContentGateway:
        fingerprint = (
            settings.contentful_space,
            settings.contentful_environment,
            settings.contentful_token_sealed,
            settings.contentful_api_url,
        )
        with self._lock:
            known = self._gateways.get(tenant_id)
            if known is not None and known[0] == fingerprint:
                return known[1]
            gateway = ContentfulGateway(
                self._client(settings),
                pybreaker.CircuitBreaker(fail_max=self.fail_max, reset_timeout=30),
            )
            self._gateways[tenant_id] = (fingerprint, gateway)
            log.info("contentful_client_built", space=settings.contentful_space)
            return gateway

    def _client(self, settings: ChannelSettings) -> contentful.Client:
        api_url, https = DEFAULT_API_URL, True
        if settings.contentful_api_url:
            parts = urlsplit(settings.contentful_api_url)
            api_url = parts.netloc or parts.path
            https = parts.scheme != "http"
        return contentful.Client(
            settings.contentful_space,
            open_secret(settings.contentful_token_sealed or ""),
            environment=settings.contentful_environment or "master",
            api_url=api_url,
            https=https,
            timeout_s=self.timeout_s,
            content_type_cache=False,
            # The SDK sleeps for the reset time even with no retries left,
            # unless that time exceeds max_rate_limit_wait: never sleep here.
            max_rate_limit_retries=0,
            max_rate_limit_wait=0,
        )
