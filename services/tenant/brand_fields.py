"""What a brand's fields may hold: the pack's tenant rules plus its settings."""

from __future__ import annotations

from typing import Any

from services.tenant.errors import BrandInvalid
from shared.brandpack import validate_tenant

DEFAULT_SETTINGS: dict[str, Any] = {
    "basket_expiry_minutes": 7 * 24 * 60,
    "abandonment_delay_minutes": 60,
    "order_auto_cancel_minutes": 30,
    "password_policy": {
        "min_length": 10,
        "require_letter": True,
        "require_digit": True,
    },
}
_SETTING_RANGES = {
    "basket_expiry_minutes": (5, 90 * 24 * 60),
    "abandonment_delay_minutes": (1, 30 * 24 * 60),
    "order_auto_cancel_minutes": (1, 30 * 24 * 60),
}


def merged_settings(value: Any) -> dict[str, Any]:
    merged = {**DEFAULT_SETTINGS, **(value or {})}
    merged["password_policy"] = {
        **DEFAULT_SETTINGS["password_policy"],
        **((value or {}).get("password_policy") or {}),
    }
    return merged


def _settings_problems(settings: Any) -> list[dict[str, str]]:
    if settings is not None and not isinstance(settings, dict):
        return [{"field": "settings", "message": "must be a mapping"}]
    problems = []
    merged = merged_settings(settings)
    for key, (low, high) in _SETTING_RANGES.items():
        value = merged[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            problems.append(
                {
                    "field": f"settings.{key}",
                    "message": f"must be {low}..{high} minutes",
                }
            )
    policy = merged["password_policy"]
    length = policy.get("min_length")
    if (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 8 <= length <= 128
    ):
        problems.append(
            {
                "field": "settings.password_policy.min_length",
                "message": "must be 8..128",
            }
        )
    for unknown in set(merged) - set(DEFAULT_SETTINGS):
        problems.append({"field": f"settings.{unknown}", "message": "unknown setting"})
    return problems


def check_brand_fields(data: dict[str, Any]) -> None:
    """422 naming every bad field; the same rules as a pack's tenant section."""
    section = {k: v for k, v in data.items() if k != "settings"}
    errors = [
        {"field": p.path.removeprefix("tenant."), "message": p.message}
        for p in validate_tenant(section)
    ]
    errors += _settings_problems(data.get("settings"))
    if errors:
        raise BrandInvalid("the brand has invalid fields; see errors", errors=errors)
