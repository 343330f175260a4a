"""Importing a brand pack's ``channels``, ``placements`` and ``content``.

The pack arrives already parsed (a dict, as read from the YAML file); the
whole-file validation lives in ``shared/brandpack``. Here each section this
service owns is checked again with paths into the file, then written in one
transaction: a pack with any problem stores nothing. A re-import updates rows
by their natural keys (channel code, placement code, entry id and locale) and
removes pack-imported placements and content the new pack no longer has;
placements created through the admin API are left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select

from services.channel.errors import BrandPackRefused
from services.channel.models import (
    ChannelSettings,
    ContentEntry,
    Experiment,
    ExperimentVariant,
    Placement,
    SalesChannel,
    db,
)
from services.channel.pack_checks import parse_instant, placement_code, validate_pack

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PackImportReport:
    channels: int
    placements: int
    content_entries: int
    removed_placements: int


def import_pack(pack: dict[str, Any]) -> PackImportReport:
    """Validate, then write the pack's channel sections in one transaction."""
    problems = validate_pack(pack)
    if problems:
        raise BrandPackRefused(
            f"the brand pack has {len(problems)} problem(s); nothing was stored",
            errors=problems,
        )

    try:
        _apply_settings(pack["tenant"])
        channels = _apply_channels(pack.get("channels") or [])
        content = _apply_content(pack.get("content") or [])
        kept, removed = _apply_placements(pack.get("placements") or [], channels)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

    report = PackImportReport(
        channels=len(channels),
        placements=kept,
        content_entries=content,
        removed_placements=removed,
    )
    log.info("brand_pack_imported", **report.__dict__)
    return report


def _apply_settings(tenant: dict[str, Any]) -> None:
    settings = db.session.scalar(select(ChannelSettings))
    if settings is None:
        settings = ChannelSettings()
        db.session.add(settings)
    settings.default_locale = tenant["locale"]
    settings.languages = list(tenant.get("languages") or [tenant["locale"]])


def _apply_channels(raw_channels: list[dict[str, Any]]) -> dict[str, SalesChannel]:
    existing = {c.code: c for c in db.session.scalars(select(SalesChannel))}
    for raw in raw_channels:
        channel = existing.get(raw["code"])
        if channel is None:
            channel = SalesChannel(code=raw["code"])
            db.session.add(channel)
            existing[raw["code"]] = channel
        channel.name = raw["name"]
        channel.assisted = bool(raw.get("assisted", False))
    db.session.flush()
    return existing


def _apply_content(raw_entries: list[dict[str, Any]]) -> int:
    existing = {
        (e.entry_id, e.locale): e
        for e in db.session.scalars(
            select(ContentEntry).where(ContentEntry.source == "pack")
        )
    }
    wanted = set()
    for raw in raw_entries:
        key = (raw["id"], raw["locale"])
        wanted.add(key)
        entry = existing.get(key)
        if entry is None:
            entry = ContentEntry(
                source="pack", entry_id=raw["id"], locale=raw["locale"]
            )
            db.session.add(entry)
        entry.content_type = raw["type"]
        entry.fields = dict(raw["fields"])
    for key, entry in existing.items():
        if key not in wanted:
            db.session.delete(entry)
    return len(wanted)


def _apply_placements(
    raw_placements: list[dict[str, Any]], channels: dict[str, SalesChannel]
) -> tuple[int, int]:
    existing = {p.code: p for p in db.session.scalars(select(Placement))}
    seen: Counter[tuple[str, str]] = Counter()
    wanted = set()
    for raw in raw_placements:
        code = placement_code(raw, seen[(raw["channel"], raw["slot"])])
        seen[(raw["channel"], raw["slot"])] += 1
        wanted.add(code)
        placement = existing.get(code) or Placement(code=code)
        fill_placement(placement, raw, channels[raw["channel"]], source="pack")
        db.session.add(placement)

    removed = 0
    for code, placement in existing.items():
        if code not in wanted and placement.source == "pack":
            db.session.delete(placement)
            removed += 1
    return len(wanted), removed


def fill_placement(
    placement: Placement, raw: dict[str, Any], channel: SalesChannel, source: str
) -> None:
    """Copy a placement's pack (or admin API) shape onto the row."""
    schedule = raw.get("schedule") or {}
    visibility = raw.get("visibility") or {}
    placement.channel = channel
    placement.slot = raw["slot"]
    placement.priority = int(raw.get("priority", 0))
    placement.starts_at = parse_instant(schedule.get("from"))
    placement.ends_at = parse_instant(schedule.get("to"))
    placement.content_id = raw.get("content")
    placement.products = list(raw.get("products") or [])
    placement.locales = list(visibility.get("locales") or [])
    placement.audience = visibility.get("audience", "any")
    placement.customer = visibility.get("customer", "any")
    placement.source = source
    _fill_experiment(placement, raw.get("experiment"))


def _fill_experiment(placement: Placement, raw: dict[str, Any] | None) -> None:
    if raw is None:
        placement.experiment = None
        return

    experiment = placement.experiment
    if experiment is None or experiment.name != raw["name"]:
        experiment = Experiment(name=raw["name"])
        placement.experiment = experiment
    by_key = {v.key: v for v in experiment.variants}
    variants = []
    for position, raw_variant in enumerate(raw["variants"]):
        variant = by_key.get(raw_variant["key"]) or ExperimentVariant(
            key=raw_variant["key"]
        )
        variant.position = position
        variant.weight = int(raw_variant["weight"])
        variant.content_id = raw_variant.get("content")
        variant.products = raw_variant.get("products")
        variants.append(variant)
    experiment.variants = variants
