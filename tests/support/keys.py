"""Settings for a master key rotation in progress: a new master key, the old one still readable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from prefcenter.keys import generate_key_files
from prefcenter.settings import Settings


def with_rotated_master_key(settings: Settings, directory: Path) -> Settings:
    """``settings`` with a fresh master key made in ``directory`` and the old one as the previous key."""
    generate_key_files(directory)
    return dataclasses.replace(
        settings,
        keys=dataclasses.replace(
            settings.keys,
            master_key_file=directory / "master.key",
            previous_master_key_file=settings.keys.master_key_file,
        ),
    )
