"""A real HTTP server that serves a key set, and can be told to fail."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class JwksServer:
    document: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    failing: bool = False
    hits: int = 0

    def __post_init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/jwks.json"

    def _app(self, environ, start_response):
        Request(environ)
        self.hits += 1
        if self.failing:
            response = Response("down", status=503)
        else:
            response = Response(json.dumps(self.document), mimetype="application/json")
        return response(environ, start_response)

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
