"""Where the real input lives: ``../shared/data`` beside the repo.

The brand packs and the device feed there are the project's real input; the
repo ships a copy of the packs (services/tenant/demo_packs) and of the feed
(services/catalog/demo_feed) for the embedded default, used when the shared
folder is not beside this checkout. ``TELECART_DATA_ROOT`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_SHARED_DATA = Path(
    os.environ.get("TELECART_DATA_ROOT", REPO.parent / "shared" / "data")
)

BRANDS_DIR = (
    _SHARED_DATA / "brands"
    if (_SHARED_DATA / "brands").is_dir()
    else REPO / "services" / "tenant" / "demo_packs"
)
DEVICE_FEED = (
    _SHARED_DATA / "feeds" / "device-master.json"
    if (_SHARED_DATA / "feeds").is_dir()
    else REPO / "services" / "catalog" / "demo_feed" / "device-master.json"
)
