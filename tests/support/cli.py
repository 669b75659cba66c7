"""The installed ``prefcenter`` command, run as an operator runs it (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PREFCENTER = str(Path(sys.executable).with_name("prefcenter"))


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([PREFCENTER, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"prefcenter {' '.join(args)} failed: {result.stderr}")
    return result
