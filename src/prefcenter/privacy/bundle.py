"""The built privacy-request element (``<prefcenter-privacy-request>``): bytes, ETag and SRI value."""

from __future__ import annotations

from pathlib import Path

from prefcenter.http.scripts import BuiltScript, built_script

WIDGET_DIR = Path(__file__).resolve().parent / "widget"  # built by widget/scripts/build.mjs
PRIVACY_BUNDLE_URL = "/widget/v1/privacy.js"


def privacy_bundle() -> BuiltScript:
    """The built bundle: bytes, its ETag and its SRI value (checked-in, so read once per process)."""
    return built_script(WIDGET_DIR / "privacy.js")
