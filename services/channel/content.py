"""Resolving a content entry for a locale chain, from the pack or Contentful.

Both sources read the brand's ``content_entries`` rows. For a brand with
Contentful those rows (``source="contentful"``) are the last good copy: when
they are older than the maximum age the entry is fetched again, and if
Contentful is down, slow or rate-limiting the copy is served as it is.
Publish webhooks write new rows directly, so a refresh never waits for the
next fetch. Keeping the copy in the tenant's schema rather than in process
memory means every worker and every restart sees the same last good copy.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.channel.contentful_gateway import (
    ContentfulUnavailable,
    ContentGateway,
    FetchedEntry,
)
from services.channel.models import ContentEntry, db

log = structlog.get_logger(__name__)

FALLBACK_LOCALE = "en-GB"


@dataclass(frozen=True)
class ResolvedContent:
    id: str
    type: str
    locale: str
    fields: dict[str, Any]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "locale": self.locale,
            "fields": self.fields,
            "source": self.source,
        }


def locale_chain(requested: str, default_locale: str) -> list[str]:
    """The requested locale, then en-GB, then the brand's default, once each."""
    chain: list[str] = []
    for locale in (requested, FALLBACK_LOCALE, default_locale):
        if locale and locale not in chain:
            chain.append(locale)
    return chain


def _pick(rows: list[ContentEntry], chain: list[str]) -> ResolvedContent | None:
    by_locale = {row.locale: row for row in rows}
    for locale in chain:
        row = by_locale.get(locale)
        if row is not None:
            return ResolvedContent(
                row.entry_id, row.content_type, row.locale, row.fields, row.source
            )
    return None


class PackContent:
    """Content of a brand without Contentful: the entries its pack brought."""

    def entry(self, entry_id: str, chain: list[str]) -> ResolvedContent | None:
        rows = db.session.scalars(
            select(ContentEntry).where(
                ContentEntry.source == "pack", ContentEntry.entry_id == entry_id
            )
        ).all()
        return _pick(list(rows), chain)


class RecentMisses:
    """Entries Contentful said it does not have, so we do not ask on every view."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def recent(self, key: str) -> bool:
        with self._lock:
            at = self._seen.get(key)
        return at is not None and time.monotonic() - at < self.ttl_s

    def remember(self, key: str) -> None:
        with self._lock:
            self._seen[key] = time.monotonic()

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


class ContentfulContent:
    """Content of a brand with Contentful, served from its last good copy."""

    def __init__(
        self,
        tenant_id: str,
        gateway: ContentGateway,
        now: datetime,
        max_age: timedelta,
        misses: RecentMisses,
    ) -> None:
        self.tenant_id = tenant_id
        self.misses = misses
        self.gateway = gateway
        self.now = now
        self.max_age = max_age

    def entry(self, entry_id: str, chain: list[str]) -> ResolvedContent | None:
        rows = self._rows(entry_id)
        miss_key = f"{self.tenant_id}:contentful-miss:{entry_id}"

        if self._stale(rows) and (rows or not self.misses.recent(miss_key)):
            try:
                fetched = self.gateway.fetch_entry(entry_id)
            except ContentfulUnavailable as exc:
                log.warning(
                    "contentful_unavailable_serving_last_good",
                    entry_id=entry_id,
                    reason=str(exc),
                    copies=len(rows),
                )
                if not rows:
                    # Never fetched yet: the pack's copy, if it has one, is
                    # better than an empty banner.
                    return PackContent().entry(entry_id, chain)
            else:
                if fetched is None:
                    self.misses.remember(miss_key)
                    remove_entry(entry_id)
                    rows = []
                else:
                    self.misses.forget(miss_key)
                    rows = self._keep(fetched)

        return _pick(rows, chain)

    def _keep(self, fetched: FetchedEntry) -> list[ContentEntry]:
        """Store the fresh copy; if another request stored it first, read theirs."""
        try:
            with db.session.begin_nested():
                return store_entry(fetched, self.now)
        except IntegrityError:
            return self._rows(fetched.entry_id)

    def _rows(self, entry_id: str) -> list[ContentEntry]:
        return list(
            db.session.scalars(
                select(ContentEntry).where(
                    ContentEntry.source == "contentful",
                    ContentEntry.entry_id == entry_id,
                )
            )
        )

    def _stale(self, rows: list[ContentEntry]) -> bool:
        if not rows:
            return True
        newest = max(_aware(r.fetched_at) for r in rows)
        return self.now - newest >= self.max_age


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def store_entry(fetched: FetchedEntry, now: datetime) -> list[ContentEntry]:
    """Replace the last good copy of an entry with what Contentful just gave."""
    existing = {
        row.locale: row
        for row in db.session.scalars(
            select(ContentEntry).where(
                ContentEntry.source == "contentful",
                ContentEntry.entry_id == fetched.entry_id,
            )
        )
    }
    rows = []
    for locale, fields in fetched.fields_by_locale.items():
        row = existing.pop(locale, None)
        if row is None:
            row = ContentEntry(
                source="contentful", entry_id=fetched.entry_id, locale=locale
            )
            db.session.add(row)
        row.content_type = fetched.content_type
        row.fields = fields
        row.fetched_at = now
        rows.append(row)
    for row in existing.values():
        db.session.delete(row)
    db.session.flush()
    return rows


def remove_entry(entry_id: str) -> int:
    """Forget an entry Contentful no longer publishes (unpublished or deleted)."""
    rows = db.session.scalars(
        select(ContentEntry).where(
            ContentEntry.source == "contentful", ContentEntry.entry_id == entry_id
        )
    ).all()
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)
