"""The building blocks of pack validation: typed reads that record problems."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from shared.brandpack.loader import PackProblem

PRODUCT_TYPES = ("device", "plan", "sim", "addon", "broadband", "accessory")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def unknown_type(kind: Any) -> str:
    return f"unknown product type {kind!r} (known: {', '.join(PRODUCT_TYPES)})"


class PackChecks:
    """Recording problems by path, and the checks every section uses."""

    def __init__(self) -> None:
        self.problems: list[PackProblem] = []
        self.product_types: dict[str, str] = {}
        self.channel_codes: set[str] = set()
        self.content_ids: set[str] = set()
        self.languages: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        self.problems.append(PackProblem(path, message))

    def mapping(self, value: Any, path: str, required: bool = True) -> dict | None:
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping" if value is not None else "is required")
            return None
        return value

    def listing(self, value: Any, path: str, required: bool = False) -> list:
        if value is None:
            if required:
                self.fail(path, "is required")
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        return value

    def text(
        self, item: dict, key: str, path: str, required: bool = True
    ) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", "must be a non-empty string")
            return None
        return value

    def integer(
        self,
        item: dict,
        key: str,
        path: str,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = True,
    ) -> int | None:
        value = item.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, "must be a whole number (minor units for money)")
            return None
        if minimum is not None and value < minimum:
            self.fail(where, f"must be >= {minimum}")
        if maximum is not None and value > maximum:
            self.fail(where, f"must be <= {maximum}")
        return value

    def boolean(self, item: dict, key: str, path: str, required: bool = False) -> None:
        value = item.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "is required")
            return
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", "must be true or false")

    def code(self, item: dict, key: str, path: str) -> str | None:
        value = self.text(item, key, path)
        if value is not None and not CODE.match(value):
            self.fail(f"{path}.{key}", "must be letters, digits, '.', '_' or '-'")
            return None
        return value

    def unique(self, seen: dict[Any, str], value: Any, path: str, what: str) -> None:
        if value is None:
            return
        if value in seen:
            self.fail(path, f"duplicate {what} {value!r} (first at {seen[value]})")
        else:
            seen[value] = path

    def moment(self, value: Any, path: str) -> datetime | None:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        self.fail(path, "must be an ISO 8601 date-time such as 2026-11-20T00:00:00Z")
        return None

    def window(self, item: dict, key: str, path: str, required: bool) -> None:
        """A validity window or schedule: ``from`` before ``to``."""
        window = self.mapping(item.get(key), f"{path}.{key}", required=required)
        if window is None:
            return
        where = f"{path}.{key}"
        starts = ends = None
        if "from" in window:
            starts = self.moment(window["from"], f"{where}.from")
        elif required:
            self.fail(f"{where}.from", "is required")
        if "to" in window:
            ends = self.moment(window["to"], f"{where}.to")
        if starts and ends and ends <= starts:
            self.fail(
                f"{where}.to",
                f"ends ({ends.isoformat()}) before it starts ({starts.isoformat()})",
            )

    def product_refs(self, codes: Any, path: str) -> None:
        for index, code in enumerate(self.listing(codes, path)):
            if code not in self.product_types:
                self.fail(f"{path}[{index}]", f"names a missing product {code!r}")

    def type_refs(self, types: Any, path: str) -> None:
        for index, kind in enumerate(self.listing(types, path)):
            if kind not in PRODUCT_TYPES:
                self.fail(f"{path}[{index}]", unknown_type(kind))

    def channel_refs(self, channels: Any, path: str) -> None:
        for index, code in enumerate(self.listing(channels, path)):
            if code not in self.channel_codes:
                self.fail(f"{path}[{index}]", f"names a missing channel {code!r}")

    def content_ref(self, item: dict, key: str, path: str) -> None:
        content = item.get(key)
        if content is not None and content not in self.content_ids:
            self.fail(f"{path}.{key}", f"names missing content {content!r}")
