"""The built widget bundle: its bytes, ETag and Subresource Integrity value, and the URL it is served at."""

from __future__ import annotations

from pathlib import Path

from prefcenter.http.scripts import BuiltScript, built_script

HERE = Path(__file__).parent
BUNDLE = HERE / "widget" / "prefcenter.js"
BUNDLE_SRI = HERE / "widget" / "prefcenter.js.sri"
BUNDLE_URL = "/widget/v1/prefcenter.js"


def bundle() -> BuiltScript:
    """The built widget: bytes, its ETag and its SRI value (checked-in, so read once per process)."""
    return built_script(BUNDLE)
