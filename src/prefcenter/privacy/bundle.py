"""The built privacy-request element (``<prefcenter-privacy-request>``): bytes, ETag and SRI value."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

WIDGET_DIR = Path(__file__).resolve().parent / "widget"  # built by widget/scripts/build.mjs
PRIVACY_BUNDLE_URL = "/widget/v1/privacy.js"


@cache
def privacy_bundle() -> tuple[bytes, str, str]:
    """The built bundle: bytes, its ETag and its SRI value (checked-in, so read once per process)."""
    data = (WIDGET_DIR / "privacy.js").read_bytes()
    sri = (WIDGET_DIR / "privacy.js.sri").read_text().strip()
    return data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', sri
