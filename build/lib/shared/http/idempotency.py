"""``Idempotency-Key`` on POSTs that move money or create orders.

The first request with a key claims it by inserting a row (the primary key
makes exactly one claimant win, however many arrive at once). Its answer is
stored; a repeat with the same body gets that answer back, a repeat with a
different body is refused, and a repeat that arrives while the first is still
running waits for it briefly and then replays it.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.db.platform import idempotency_keys
from shared.http.problems import Conflict, Problem, Unprocessable
from shared.tenancy.context import require_tenant

KEY_MAX = 200


class IdempotencyKeyReused(Unprocessable):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


class IdempotencyKeyInFlight(Conflict):
    slug = "idempotency-key-in-flight"
    title = "A request with this Idempotency-Key is still being processed"


class IdempotencyKeyMissing(Problem):
    status, slug, title = (
        400,
        "idempotency-key-missing",
        "Idempotency-Key header required",
    )


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str
    headers: dict[str, str]


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(
        method.encode() + b" " + path.encode() + b"\n" + body
    ).hexdigest()


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _where(self, tenant_id: str, scope: str, key: str):
        c = idempotency_keys.c
        return and_(c.tenant_id == tenant_id, c.scope == scope, c.key == key)

    def claim(
        self, tenant_id: str, scope: str, key: str, fingerprint: str
    ) -> StoredAnswer | None:
        """None when this caller owns the key now; the stored answer otherwise."""
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(idempotency_keys).values(
                        tenant_id=tenant_id,
                        scope=scope,
                        key=key,
                        request_hash=fingerprint,
                        created_at=datetime.now(UTC),
                    )
                )
            return None
        except IntegrityError:
            pass

        deadline = time.monotonic() + 10
        while True:
            with self._engine.connect() as connection:
                row = (
                    connection.execute(
                        select(idempotency_keys).where(
                            self._where(tenant_id, scope, key)
                        )
                    )
                    .mappings()
                    .first()
                )
            if row is None:
                return self.claim(tenant_id, scope, key, fingerprint)
            if row["request_hash"] != fingerprint:
                raise IdempotencyKeyReused(
                    "the same Idempotency-Key came with a different request body"
                )
            if row["status_code"] is not None:
                return StoredAnswer(
                    row["status_code"],
                    row["response_body"] or "",
                    row["response_headers"] or {},
                )
            if time.monotonic() > deadline:
                raise IdempotencyKeyInFlight()
            time.sleep(0.05)

    def complete(
        self, tenant_id: str, scope: str, key: str, answer: StoredAnswer
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(idempotency_keys)
                .where(self._where(tenant_id, scope, key))
                .values(
                    status_code=answer.status,
                    response_body=answer.body,
                    response_headers=answer.headers,
                )
            )

    def release(self, tenant_id: str, scope: str, key: str) -> None:
        """Forget a claim whose request failed, so that a retry can run."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(idempotency_keys).where(self._where(tenant_id, scope, key))
            )


_REPLAYED_HEADERS = ("Location", "Content-Type", "ETag")


def idempotent(scope: str, *, required: bool = True) -> Callable:
    """Make a POST view answer a repeated ``Idempotency-Key`` with its first answer."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            key = request.headers.get("Idempotency-Key", "").strip()
            if not key:
                if required:
                    raise IdempotencyKeyMissing(
                        "send an Idempotency-Key header (any unique string, "
                        f"at most {KEY_MAX} characters)"
                    )
                return view(*args, **kwargs)
            if len(key) > KEY_MAX:
                raise Unprocessable(
                    f"Idempotency-Key is longer than {KEY_MAX} characters"
                )

            tenant_id = require_tenant().id
            store = IdempotencyStore(current_app.extensions["telecart"].engine)
            fingerprint = request_fingerprint(
                request.method, request.path, request.get_data(cache=True)
            )
            stored = store.claim(tenant_id, scope, key, fingerprint)
            if stored is not None:
                response = Response(
                    stored.body, status=stored.status, headers=stored.headers
                )
                response.headers["Idempotent-Replayed"] = "true"
                return response

            try:
                response = current_app.make_response(view(*args, **kwargs))
            except BaseException:
                store.release(tenant_id, scope, key)
                raise
            if response.status_code >= 500:
                store.release(tenant_id, scope, key)
                return response

            headers = {
                h: response.headers[h]
                for h in _REPLAYED_HEADERS
                if h in response.headers
            }
            store.complete(
                tenant_id,
                scope,
                key,
                StoredAnswer(
                    response.status_code, response.get_data(as_text=True), headers
                ),
            )
            return response

        return wrapper

    return decorate
