"""Checking a brand pack's channel sections, each problem named by its path.

The whole-file validation of a pack lives in ``shared/brandpack``; these
checks cover what the channel service stores, so an import never writes a
half-valid pack even when called on its own (the admin API, the CLI).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from services.channel.models import AUDIENCES, CUSTOMER_KINDS

CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


def placement_code(raw: dict[str, Any], index_in_slot: int) -> str:
    """A stable natural key for a placement that names none in the pack."""
    if raw.get("code"):
        return str(raw["code"])
    suffix = "" if index_in_slot == 0 else f"-{index_in_slot + 1}"
    return f"{raw.get('channel')}.{raw.get('slot')}{suffix}"


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 instant (``Z`` allowed) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("needs a time zone (e.g. Z)")
    return parsed.astimezone(UTC)


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"field": path, "location": "pack", "message": message})


def validate_pack(pack: dict[str, Any]) -> list[dict[str, str]]:
    """Every problem in the sections this service owns, each named by its path."""
    problems = _Problems()
    if not isinstance(pack, dict):
        problems.add("_schema", "a brand pack is a mapping of sections")
        return problems.items
    tenant = pack.get("tenant") or {}
    if not isinstance(tenant, dict) or not LOCALE.match(str(tenant.get("locale"))):
        problems.add("tenant.locale", "a default locale such as en-GB is required")

    channel_codes = _check_channels(pack.get("channels") or [], problems)
    content_ids = _check_content(pack.get("content") or [], problems)
    _check_placements(
        pack.get("placements") or [], channel_codes, content_ids, problems
    )
    return problems.items


def _check_channels(channels: Any, problems: _Problems) -> set[str]:
    if not isinstance(channels, list):
        problems.add("channels", "must be a list")
        return set()

    codes: list[str] = []
    for index, channel in enumerate(channels):
        path = f"channels[{index}]"
        if not isinstance(channel, dict):
            problems.add(path, "must be a mapping")
            continue
        if not CODE.match(str(channel.get("code", ""))):
            problems.add(f"{path}.code", "a lower-case code is required")
        elif channel["code"] in codes:
            problems.add(f"{path}.code", f"duplicate channel {channel['code']}")
        else:
            codes.append(channel["code"])
        if not str(channel.get("name") or "").strip():
            problems.add(f"{path}.name", "a name is required")
        if not isinstance(channel.get("assisted", False), bool):
            problems.add(f"{path}.assisted", "must be true or false")
    return set(codes)


def _check_content(content: Any, problems: _Problems) -> set[str]:
    if not isinstance(content, list):
        problems.add("content", "must be a list")
        return set()

    keys: set[tuple[Any, Any]] = set()
    for index, entry in enumerate(content):
        path = f"content[{index}]"
        if not isinstance(entry, dict):
            problems.add(path, "must be a mapping")
            continue
        if not CODE.match(str(entry.get("id", ""))):
            problems.add(f"{path}.id", "an entry id is required")
        if not str(entry.get("type") or "").strip():
            problems.add(f"{path}.type", "a content type is required")
        if not LOCALE.match(str(entry.get("locale", ""))):
            problems.add(f"{path}.locale", "a locale such as en-GB is required")
        elif (entry.get("id"), entry["locale"]) in keys:
            problems.add(
                f"{path}.id", f"duplicate entry {entry.get('id')} in {entry['locale']}"
            )
        keys.add((entry.get("id"), entry.get("locale")))
        if not isinstance(entry.get("fields"), dict):
            problems.add(f"{path}.fields", "must be a mapping")
    return {c.get("id") for c in content if isinstance(c, dict)}


def _check_placements(
    placements: Any,
    channel_codes: set[str],
    content_ids: set[str],
    problems: _Problems,
) -> None:
    if not isinstance(placements, list):
        problems.add("placements", "must be a list")
        return

    seen: Counter[tuple[Any, Any]] = Counter()
    codes: Counter[str] = Counter()
    for index, raw in enumerate(placements):
        path = f"placements[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "must be a mapping")
            continue
        code = placement_code(raw, seen[(raw.get("channel"), raw.get("slot"))])
        seen[(raw.get("channel"), raw.get("slot"))] += 1
        codes[code] += 1
        if codes[code] > 1:
            problems.add(f"{path}.code", f"duplicate placement {code}")
        _check_placement(raw, path, channel_codes, content_ids, problems)


def validate_placement_for_admin(
    raw: dict[str, Any], channel_codes: set[str]
) -> list[dict[str, str]]:
    """A placement sent to the admin API; its content may live in Contentful."""
    problems = _Problems()
    _check_placement(raw, "", channel_codes, None, problems)
    for item in problems.items:
        item["field"] = item["field"].lstrip(".")
        item["location"] = "json"
    return problems.items


def _check_placement(
    raw: dict[str, Any],
    path: str,
    channel_codes: set[str],
    content_ids: set[str] | None,
    problems: _Problems,
) -> None:
    if raw.get("channel") not in channel_codes:
        problems.add(f"{path}.channel", f"unknown channel {raw.get('channel')}")
    if not CODE.match(str(raw.get("slot", ""))):
        problems.add(f"{path}.slot", "a lower-case slot name is required")
    if not isinstance(raw.get("priority", 0), int):
        problems.add(f"{path}.priority", "must be a whole number")
    if _unknown_content(raw.get("content"), content_ids):
        problems.add(f"{path}.content", f"unknown content entry {raw['content']}")
    products = raw.get("products", [])
    if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
        problems.add(f"{path}.products", "must be a list of product codes")

    _check_schedule(raw.get("schedule"), f"{path}.schedule", problems)
    _check_visibility(raw.get("visibility"), f"{path}.visibility", problems)
    if raw.get("experiment") is not None:
        _check_experiment(
            raw["experiment"], f"{path}.experiment", content_ids, problems
        )


def _check_schedule(schedule: Any, path: str, problems: _Problems) -> None:
    if schedule is None:
        return
    if not isinstance(schedule, dict):
        problems.add(path, "must be a mapping with from and to")
        return

    bounds = {}
    for key in ("from", "to"):
        try:
            bounds[key] = parse_instant(schedule.get(key))
        except (TypeError, ValueError) as exc:
            problems.add(f"{path}.{key}", f"not an ISO 8601 instant: {exc}")
    if bounds.get("from") and bounds.get("to") and bounds["to"] <= bounds["from"]:
        problems.add(f"{path}.to", "the schedule ends before it starts")


def _check_visibility(visibility: Any, path: str, problems: _Problems) -> None:
    if visibility is None:
        return
    if not isinstance(visibility, dict):
        problems.add(path, "must be a mapping")
        return

    locales = visibility.get("locales", [])
    if not isinstance(locales, list) or not all(LOCALE.match(str(v)) for v in locales):
        problems.add(f"{path}.locales", "must be a list of locales")
    if visibility.get("audience", "any") not in AUDIENCES:
        problems.add(f"{path}.audience", f"one of {', '.join(AUDIENCES)}")
    if visibility.get("customer", "any") not in CUSTOMER_KINDS:
        problems.add(f"{path}.customer", f"one of {', '.join(CUSTOMER_KINDS)}")


def _unknown_content(content_id: Any, content_ids: set[str] | None) -> bool:
    if content_id is None:
        return False
    if not isinstance(content_id, str):
        return True
    return content_ids is not None and content_id not in content_ids


def _check_experiment(
    experiment: Any, path: str, content_ids: set[str] | None, problems: _Problems
) -> None:
    if not isinstance(experiment, dict):
        problems.add(path, "must be a mapping")
        return
    if not CODE.match(str(experiment.get("name", ""))):
        problems.add(f"{path}.name", "a lower-case experiment name is required")

    variants = experiment.get("variants")
    if not isinstance(variants, list) or len(variants) < 2:
        problems.add(f"{path}.variants", "an experiment needs at least two variants")
        return
    keys: set[Any] = set()
    for index, variant in enumerate(variants):
        vpath = f"{path}.variants[{index}]"
        if not isinstance(variant, dict):
            problems.add(vpath, "must be a mapping")
            continue
        if not CODE.match(str(variant.get("key", ""))):
            problems.add(f"{vpath}.key", "a variant key is required")
        elif variant["key"] in keys:
            problems.add(f"{vpath}.key", f"duplicate variant {variant['key']}")
        keys.add(variant.get("key"))
        weight = variant.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
            problems.add(f"{vpath}.weight", "must be a positive whole number")
        if _unknown_content(variant.get("content"), content_ids):
            problems.add(
                f"{vpath}.content", f"unknown content entry {variant['content']}"
            )
