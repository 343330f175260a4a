"""Where the demo brand packs are: ``../shared/data/brands`` beside the repo."""

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
_CANDIDATES = [
    os.environ.get("TELECART_BRANDS_DIR", ""),
    str(_REPO.parent / "shared" / "data" / "brands"),
    str(_REPO.parent.parent / "shared" / "data" / "brands"),
]


def brands_dir() -> Path:
    for candidate in filter(None, _CANDIDATES):
        if (Path(candidate) / "northwind.yaml").is_file():
            return Path(candidate)
    pytest.skip("the demo brand packs (../shared/data/brands) are not here")


def pack_paths() -> list[Path]:
    for candidate in filter(None, _CANDIDATES):
        if (Path(candidate) / "northwind.yaml").is_file():
            return sorted(Path(candidate).glob("*.yaml"))
    return []
