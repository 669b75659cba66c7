"""Rotating the master key: old data stays readable during the switch and after `prefcenter keys rewrap`."""

from __future__ import annotations

import json
import shutil

from prefcenter.keys import generate_key_files
from tests.cli.test_cli import run


def test_master_key_rotation_keeps_every_subject_readable(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env["PREFCENTER_VAR_DIR"] = str(tmp_path / "var")
    run(env, "db", "upgrade")
    demo = json.loads(run(env, "demo").stdout)
    old_key = tmp_path / "old-master.key"
    shutil.copy(tmp_path / "var" / "master.key", old_key)
    generate_key_files(tmp_path / "new")

    rotated = {**env, "PREFCENTER_MASTER_KEY_FILE": str(tmp_path / "new" / "master.key")}
    without_old = run(rotated, "keys", "rewrap", check=False)
    assert without_old.returncode == 2 and "PREFCENTER_PREVIOUS_MASTER_KEY_FILE" in without_old.stderr

    rotated["PREFCENTER_PREVIOUS_MASTER_KEY_FILE"] = str(old_key)
    assert "re-wrapped 1 subject data keys" in run(rotated, "keys", "rewrap").stdout
    del rotated["PREFCENTER_PREVIOUS_MASTER_KEY_FILE"]
    assert "re-wrapped 0" in run(rotated, "keys", "rewrap").stdout
    assert "audit log OK" in run(rotated, "audit", "verify").stdout
    assert demo["demo_subject_id"]
