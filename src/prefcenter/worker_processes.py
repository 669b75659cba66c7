"""What every worker process prefcenter starts does first (the check pool and the import pool)."""

from __future__ import annotations

import os
import signal
import threading
import time


def become_worker(server_pid: int) -> None:
    """Ignore Ctrl-C (it reaches the whole process group; the parent stops its workers), and exit when the
    parent is gone: a parent killed outright (SIGKILL, OOM) cannot stop its workers, which would otherwise
    wait on the task queue for ever. ``server_pid`` comes from the parent, not from ``os.getppid()`` here:
    a worker still starting when its parent died would take its new parent for it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="prefcenter-parent-watch", daemon=True).start()


async def parent_gone(parent_pid: int, poll_seconds: float = 0.5) -> None:
    """Return once ``parent_pid`` is no longer this process's parent (it exited or was killed outright)."""
    import asyncio

    while os.getppid() == parent_pid:  # noqa: ASYNC110 - no event tells of a parent's death: poll
        await asyncio.sleep(poll_seconds)
