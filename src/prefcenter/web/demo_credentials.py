"""Where ``prefcenter demo`` keeps the demo's credentials (0600): the demo page reads them to show itself."""

from __future__ import annotations

from pathlib import Path

from prefcenter.context import AppContext


def credentials_file(ctx: AppContext) -> Path:
    return ctx.settings.var_dir / "demo-credentials.json"
