"""Basket compatibility: every rule a prospective basket breaks, per bundle.

A basket is a list of bundles (a line of service: device + plan + SIM, or a
broadband order); rules are checked inside each bundle. Rule shapes, as in the
brand packs:

- ``when``: ``price_type`` (the price option chosen on a line), ``codes`` or
  ``types`` pick the lines a rule is about;
- ``require``: ``any_of_types`` / ``any_of_codes`` the bundle must also hold;
- ``forbid_with.device_attribute``: no device in the bundle may have these
  attribute values.

An add-on's own ``requires`` is checked the same way, with a message made
from the product names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.catalog.models import CompatibilityRule, CrossSell, Product


@dataclass(frozen=True)
class BasketLine:
    code: str
    sku: str | None
    price_type: str | None
    product: Product | None


def _line_matches(rule_when: dict[str, Any], line: BasketLine) -> bool:
    product = line.product
    if product is None:
        return False
    if "price_type" in rule_when and line.price_type != rule_when["price_type"]:
        return False
    if "codes" in rule_when and product.code not in rule_when["codes"]:
        return False
    if "types" in rule_when and product.type not in rule_when["types"]:
        return False
    return True


def _holds(require: dict[str, Any], others: list[BasketLine]) -> bool:
    types = set(require.get("any_of_types") or [])
    codes = set(require.get("any_of_codes") or [])
    return any(
        line.product is not None
        and (line.product.type in types or line.product.code in codes)
        for line in others
    )


def _forbidden_device(forbid: dict[str, Any], others: list[BasketLine]) -> bool:
    wanted = forbid.get("device_attribute") or {}
    for line in others:
        product = line.product
        if product is None or product.type != "device":
            continue
        attributes = product.attributes or {}
        if all(attributes.get(k) == v for k, v in wanted.items()):
            return True
    return False


def check_bundle(
    bundle_id: str,
    lines: list[BasketLine],
    rules: list[CompatibilityRule],
    names: dict[str, str],
) -> list[dict[str, Any]]:
    broken: list[dict[str, Any]] = []

    for index, line in enumerate(lines):
        if line.product is None:
            broken.append(
                _violation("unknown-product", f"No product {line.code}.", bundle_id)
            )
        elif line.product.lifecycle != "active":
            broken.append(
                _violation(
                    "not-for-sale",
                    f"{line.product.name} is no longer sold.",
                    bundle_id,
                    [line.code],
                )
            )
        requires = line.product.requires if line.product else None
        others = lines[:index] + lines[index + 1 :]
        if requires and not _holds(requires, others):
            wanted = [
                *(requires.get("any_of_types") or []),
                *(names.get(c, c) for c in requires.get("any_of_codes") or []),
            ]
            broken.append(
                _violation(
                    f"requires:{line.code}",
                    f"{line.product.name} needs one of: {', '.join(wanted)}.",
                    bundle_id,
                    [line.code],
                )
            )

    for rule in rules:
        subjects = [line for line in lines if _line_matches(rule.when, line)]
        if not subjects:
            continue
        others = [line for line in lines if line not in subjects]
        failed = (rule.require and not _holds(rule.require, others)) or (
            rule.forbid_with and _forbidden_device(rule.forbid_with, others)
        )
        if failed:
            broken.append(
                _violation(
                    rule.code, rule.message, bundle_id, [s.code for s in subjects]
                )
            )
    return broken


def _violation(
    rule: str, message: str, bundle_id: str, lines: list[str] | None = None
) -> dict[str, Any]:
    return {"rule": rule, "message": message, "bundle": bundle_id, "lines": lines or []}


def suggestions(
    codes_in_basket: set[str], cross_sell: list[CrossSell], active: set[str]
) -> list[dict[str, Any]]:
    out, seen = [], set()
    for entry in cross_sell:
        if entry.from_code not in codes_in_basket:
            continue
        for code in entry.to_codes:
            if code in codes_in_basket or code in seen or code not in active:
                continue
            seen.add(code)
            out.append({"code": code, "because_of": entry.from_code})
    return out


def area_of(postcode: str) -> str:
    """The postcode area: its leading letters ("LS1 4AP" -> "LS", "M1" -> "M")."""
    compact = "".join(postcode.split()).upper()
    letters = ""
    for char in compact:
        if not char.isalpha():
            break
        letters += char
    return letters
