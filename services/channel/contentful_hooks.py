"""Contentful per brand: its settings, and its signed publish/unpublish webhooks.

A publish webhook carries the entry in every locale; it is written straight
into the brand's last good copy, so a refresh needs no call to Contentful
(and works while Contentful's delivery API is down). Unpublish, archive and
delete remove the copy.
"""

from __future__ import annotations

import json
from typing import Any

import structlog

from services.channel.content import remove_entry, store_entry
from services.channel.contentful_gateway import FetchedEntry, localized_fields
from services.channel.errors import (
    ContentfulNotConfigured,
    InvalidEvent,
    WebhookRefused,
)
from services.channel.models import ChannelSettings, db
from services.channel.secrets import mask, open_secret, seal_secret
from services.channel.service import ChannelRuntime, channel_settings
from services.channel.webhooks import TOPIC, webhook_is_genuine

log = structlog.get_logger(__name__)

ENTRY_ACTIONS = ("publish", "unpublish", "delete", "archive")


def configure_contentful(data: dict[str, Any]) -> ChannelSettings:
    """Point the brand at its Contentful space; secrets are stored sealed."""
    settings = channel_settings()
    settings.contentful_space = data["space"]
    settings.contentful_environment = data.get("environment", "master")
    settings.contentful_token_sealed = seal_secret(data["access_token"])
    settings.contentful_webhook_secret_sealed = seal_secret(data["webhook_secret"])
    settings.contentful_api_url = data.get("api_url")
    db.session.commit()
    log.info(
        "contentful_configured",
        space=settings.contentful_space,
        access_token=mask(data["access_token"]),
        webhook_secret=mask(data["webhook_secret"]),
    )
    return settings


def receive_contentful_webhook(
    rt: ChannelRuntime,
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> dict[str, Any]:
    """Apply a signed publish/unpublish webhook to the brand's content copy."""
    settings = channel_settings()
    if not settings.uses_contentful or not settings.contentful_webhook_secret_sealed:
        raise ContentfulNotConfigured("this brand has no Contentful space")

    now = rt.clock()
    genuine = webhook_is_genuine(
        secret=open_secret(settings.contentful_webhook_secret_sealed),
        method=method,
        path=path,
        headers=headers,
        body=body,
        now=now,
        tolerance=rt.webhook_tolerance,
    )
    if not genuine:
        log.warning("contentful_webhook_refused", path=path)
        raise WebhookRefused("signature or timestamp check failed")

    topic = {k.lower(): v for k, v in headers.items()}.get(TOPIC, "")
    try:
        document = json.loads(body)
        sys = document["sys"]
        entry_id = sys["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidEvent("the webhook body is not a Contentful entry") from exc

    action = topic.rsplit(".", 1)[-1]
    if not topic.startswith("ContentManagement.Entry.") or action not in ENTRY_ACTIONS:
        return {"topic": topic, "applied": False}

    if action == "publish":
        store_entry(
            FetchedEntry(
                entry_id=entry_id,
                content_type=sys["contentType"]["sys"]["id"],
                fields_by_locale=localized_fields(document.get("fields") or {}),
            ),
            now,
        )
    else:
        remove_entry(entry_id)
    db.session.commit()
    log.info("contentful_webhook_applied", topic=topic, entry_id=entry_id)
    return {"topic": topic, "entry": entry_id, "applied": True}
