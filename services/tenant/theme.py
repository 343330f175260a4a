"""A brand's theme as CSS custom properties, with a strong ETag."""

from __future__ import annotations

import hashlib
import re
from typing import Any

_COLOURS = ("primary", "secondary", "accent", "background", "text")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9 ,._'\"/:-]{1,200}$")


def theme_css(slug: str, theme: dict[str, Any]) -> str:
    """``:root { --tc-color-primary: ...; }``; unsafe values are left out."""
    lines = [f"/* Telecart theme: {slug} */", ":root {"]
    for name in _COLOURS:
        value = theme.get(name)
        if isinstance(value, str) and _COLOUR.match(value):
            lines.append(f"  --tc-color-{name}: {value};")
    radius = theme.get("radius_px")
    if isinstance(radius, int) and not isinstance(radius, bool) and 0 <= radius <= 64:
        lines.append(f"  --tc-radius: {radius}px;")
    font = theme.get("font_family")
    if isinstance(font, str) and _SAFE_TEXT.match(font):
        lines.append(f"  --tc-font-family: {font};")
    logo = theme.get("logo_url")
    if isinstance(logo, str) and _SAFE_TEXT.match(logo) and '"' not in logo:
        lines.append(f'  --tc-logo-url: url("{logo}");')
    lines.append("}")
    return "\n".join(lines) + "\n"


def etag_of(body: str | bytes) -> str:
    data = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()[:32]
