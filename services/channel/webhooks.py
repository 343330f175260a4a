"""Checking Contentful's signed webhooks (request verification).

Contentful signs a canonical form of the request with the webhook's secret:
the method, the path with its query, the signed headers (``name:value``
joined by ``;``, names lower-case, listed in ``x-contentful-signed-headers``)
and the raw body, joined by newlines, HMAC-SHA256, hex. The timestamp header
(milliseconds) must be among the signed headers and within the tolerance
both ways, so a captured webhook cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

SIGNATURE = "x-contentful-signature"
SIGNED_HEADERS = "x-contentful-signed-headers"
TIMESTAMP = "x-contentful-timestamp"
TOPIC = "x-contentful-topic"


def canonical_request(
    method: str, path: str, headers: Mapping[str, str], signed: list[str], body: str
) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    signed_part = ";".join(f"{name}:{lowered.get(name, '')}" for name in signed)
    return "\n".join([method.upper(), path, signed_part, body])


def webhook_is_genuine(
    *,
    secret: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: timedelta,
) -> bool:
    lowered = {name.lower(): value for name, value in headers.items()}
    signature = lowered.get(SIGNATURE, "")
    signed = [h.strip().lower() for h in lowered.get(SIGNED_HEADERS, "").split(",")]
    if not signature or TIMESTAMP not in signed:
        return False

    try:
        sent_ms = int(lowered.get(TIMESTAMP, ""))
        text = body.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    if abs(now.timestamp() * 1000 - sent_ms) > tolerance.total_seconds() * 1000:
        return False

    expected = hmac.new(
        secret.encode(),
        canonical_request(method, path, lowered, signed, text).encode(),
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(expected, signature)
