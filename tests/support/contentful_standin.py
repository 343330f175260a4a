"""A local stand-in for the Contentful Delivery API, for tests.

A real HTTP server on 127.0.0.1 in a thread, speaking enough of the Delivery
API for the official ``contentful`` SDK: the space, content types, locales,
entries (``sys.id`` and ``locale`` queries, ``locale=*`` for all locales),
and an initial sync page. Every entry carries ``sys.space`` and
``sys.contentType`` links, answers use Contentful's media type, and every
429 carries ``X-Contentful-RateLimit-Reset``. A test switches it between
``ok``, ``down`` (503), ``slow`` (answers after ``delay_s``) and
``rate_limited`` (429) to prove what the service does when Contentful fails.

``signed_webhook`` builds a publish/unpublish webhook as Contentful sends it,
signed the way Contentful's request verification signs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MEDIA_TYPE = "application/vnd.contentful.delivery.v1+json"
STAMP = "2026-11-01T09:00:00.000Z"


def _link(kind: str, target: str) -> dict[str, Any]:
    return {"sys": {"type": "Link", "linkType": kind, "id": target}}


@dataclass
class StandinEntry:
    entry_id: str
    content_type: str
    fields: dict[str, dict[str, Any]]  # {field: {locale: value}}
    revision: int = 1


@dataclass
class ContentfulStandin:
    space: str = "nwspace"
    environment: str = "master"
    token: str = "delivery-token"
    default_locale: str = "en-GB"
    locales: tuple[str, ...] = ("en-GB", "cy-GB")
    entries: dict[str, StandinEntry] = field(default_factory=dict)
    mode: str = "ok"
    delay_s: float = 5.0
    rate_limit_reset_s: int = 7
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._released = threading.Event()

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> ContentfulStandin:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib names it
                standin._handle(self)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def put_entry(self, entry_id: str, content_type: str, fields: dict) -> None:
        known = self.entries.get(entry_id)
        revision = known.revision + 1 if known else 1
        self.entries[entry_id] = StandinEntry(entry_id, content_type, fields, revision)

    # -- the API --------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.requests.append(handler.path)

        if self.mode == "down":
            return self._error(handler, 503, "ServiceUnavailable", "down for a test")
        if self.mode == "rate_limited":
            return self._error(
                handler,
                429,
                "RateLimitExceeded",
                "You have exceeded the rate limit of the Organization",
                {"X-Contentful-RateLimit-Reset": str(self.rate_limit_reset_s)},
            )
        if self.mode == "slow":
            self._released.wait(self.delay_s)
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(handler, 401, "AccessTokenInvalid", "bad token")

        base = f"/spaces/{self.space}"
        env = f"{base}/environments/{self.environment}"
        path = parts.path.rstrip("/")
        if path == base:
            return self._ok(handler, self._space())
        if path == f"{env}/content_types":
            return self._ok(handler, self._array(self._content_types()))
        if path.startswith(f"{env}/content_types/"):
            wanted = path.rsplit("/", 1)[-1]
            found = [c for c in self._content_types() if c["sys"]["id"] == wanted]
            if not found:
                return self._error(handler, 404, "NotFound", "no such content type")
            return self._ok(handler, found[0])
        if path == f"{env}/locales":
            return self._ok(handler, self._array(self._locales()))
        if path == f"{env}/entries":
            return self._ok(handler, self._array(self._entries(query)))
        if path == f"{env}/sync":
            return self._ok(handler, self._sync())
        return self._error(handler, 404, "NotFound", "The resource could not be found.")

    def _entries(self, query: dict[str, str]) -> list[dict[str, Any]]:
        locale = query.get("locale", self.default_locale)
        chosen = [
            e
            for e in self.entries.values()
            if query.get("sys.id") in (None, e.entry_id)
            and query.get("content_type") in (None, e.content_type)
        ]
        return [self._entry(e, locale) for e in chosen]

    def _entry(self, entry: StandinEntry, locale: str) -> dict[str, Any]:
        sys = {
            "space": _link("Space", self.space),
            "id": entry.entry_id,
            "type": "Entry",
            "createdAt": STAMP,
            "updatedAt": STAMP,
            "environment": _link("Environment", self.environment),
            "revision": entry.revision,
            "contentType": _link("ContentType", entry.content_type),
        }
        if locale == "*":
            return {"metadata": {"tags": []}, "sys": sys, "fields": entry.fields}

        sys["locale"] = locale
        fields = {}
        for name, values in entry.fields.items():
            for candidate in (locale, self.default_locale):
                if candidate in values:
                    fields[name] = values[candidate]
                    break
        return {"metadata": {"tags": []}, "sys": sys, "fields": fields}

    def _content_types(self) -> list[dict[str, Any]]:
        kinds = sorted({e.content_type for e in self.entries.values()})
        return [
            {
                "sys": {
                    "space": _link("Space", self.space),
                    "id": kind,
                    "type": "ContentType",
                    "createdAt": STAMP,
                    "updatedAt": STAMP,
                    "revision": 1,
                },
                "displayField": "headline",
                "name": kind,
                "description": "",
                "fields": [
                    {
                        "id": name,
                        "name": name,
                        "type": "Symbol",
                        "localized": True,
                        "required": False,
                        "disabled": False,
                        "omitted": False,
                    }
                    for name in sorted(
                        {n for e in self.entries.values() for n in e.fields}
                    )
                ],
            }
            for kind in kinds
        ]

    def _locales(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "name": code,
                "default": code == self.default_locale,
                "fallbackCode": None if code == self.default_locale else "en-GB",
                "sys": {"id": code, "type": "Locale", "version": 1},
            }
            for code in self.locales
        ]

    def _space(self) -> dict[str, Any]:
        return {
            "sys": {"type": "Space", "id": self.space},
            "name": "Stand-in space",
            "locales": [
                {"code": c, "default": c == self.default_locale, "name": c}
                for c in self.locales
            ],
        }

    def _sync(self) -> dict[str, Any]:
        items = [self._entry(e, "*") for e in self.entries.values()]
        return {
            "sys": {"type": "Array"},
            "items": items,
            "nextSyncUrl": f"{self.url}/spaces/{self.space}/environments/"
            f"{self.environment}/sync?sync_token=standin-{len(items)}",
        }

    @staticmethod
    def _array(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "sys": {"type": "Array"},
            "total": len(items),
            "skip": 0,
            "limit": 100,
            "items": items,
        }

    def _ok(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        self._send(handler, 200, body)

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        error_id: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = {
            "sys": {"type": "Error", "id": error_id},
            "message": message,
            "requestId": f"standin-{len(self.requests)}",
        }
        self._send(handler, status, body, headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", MEDIA_TYPE)
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a slow answer past its timeout)


def webhook_body(entry: StandinEntry, space: str = "nwspace") -> bytes:
    """An entry as Contentful's management API puts it in a webhook."""
    return json.dumps(
        {
            "metadata": {"tags": []},
            "sys": {
                "type": "Entry",
                "id": entry.entry_id,
                "space": _link("Space", space),
                "environment": _link("Environment", "master"),
                "contentType": _link("ContentType", entry.content_type),
                "revision": entry.revision,
                "createdAt": STAMP,
                "updatedAt": STAMP,
            },
            "fields": entry.fields,
        }
    ).encode()


def signed_webhook(
    secret: str,
    path: str,
    body: bytes,
    topic: str,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """Headers of a webhook signed as Contentful's request verification does."""
    stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    headers = {
        "Content-Type": "application/vnd.contentful.management.v1+json",
        "X-Contentful-Topic": topic,
        "X-Contentful-Timestamp": stamp,
        "X-Contentful-Signed-Headers": "x-contentful-timestamp,x-contentful-topic",
    }
    canonical = "\n".join(
        [
            "POST",
            path,
            f"x-contentful-timestamp:{stamp};x-contentful-topic:{topic}",
            body.decode(),
        ]
    )
    headers["X-Contentful-Signature"] = hmac.new(
        secret.encode(), canonical.encode(), hashlib.sha256
    ).hexdigest()
    return headers
