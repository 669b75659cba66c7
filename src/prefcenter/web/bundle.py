"""The built widget bundle: its bytes, ETag and Subresource Integrity value, and the URL it is served at."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
BUNDLE = HERE / "widget" / "prefcenter.js"
BUNDLE_SRI = HERE / "widget" / "prefcenter.js.sri"
BUNDLE_URL = "/widget/v1/prefcenter.js"


@cache
def bundle() -> tuple[bytes, str, str]:
    """The built widget: bytes, its ETag and its SRI value (checked-in, so read once per process)."""
    data = BUNDLE.read_bytes()
    sri = BUNDLE_SRI.read_text().strip()
    return data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', sri
