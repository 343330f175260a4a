"""Reading a brand pack file and refusing it whole when anything is wrong."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, order=True)
class PackProblem:
    """One thing wrong in a pack, named by its path in the file."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PackRefused(Exception):
    """The pack has problems; nothing of it may be applied."""

    def __init__(self, source: str, problems: list[PackProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s)")


@dataclass(frozen=True)
class BrandPack:
    """A pack that passed validation, with the digest of the file it came from."""

    data: dict[str, Any]
    digest: str
    source: str = ""
    sections: tuple[str, ...] = field(default=())

    @property
    def slug(self) -> str:
        return self.data["tenant"]["slug"]

    @property
    def tenant(self) -> dict[str, Any]:
        return self.data["tenant"]

    def section(self, name: str) -> list[dict[str, Any]]:
        return list(self.data.get(name) or [])


def parse_pack(text: str | bytes, source: str = "<pack>") -> BrandPack:
    """Parse and validate pack text; raise PackRefused naming every problem."""
    from shared.brandpack.validate import validate_pack

    raw = text.encode() if isinstance(text, str) else text
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PackRefused(
            source, [PackProblem(where, f"not YAML: {problem}")]
        ) from None

    problems = validate_pack(data)
    if problems:
        raise PackRefused(source, problems)
    return BrandPack(
        data=data,
        digest=hashlib.sha256(raw).hexdigest(),
        source=source,
        sections=tuple(key for key in data if key != "tenant"),
    )


def load_pack(path: str | Path) -> BrandPack:
    """Read a pack file; raise PackRefused with every problem in it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackRefused(
            str(path), [PackProblem("", exc.strerror or str(exc))]
        ) from None
    return parse_pack(raw, source=str(path))
