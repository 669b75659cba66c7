"""Whether a process still runs (a zombie waiting to be reaped counts as gone)."""

from __future__ import annotations

from pathlib import Path


def is_running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
