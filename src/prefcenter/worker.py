"""The ``prefcenter worker`` assembly: every area's job handlers and sweeps, with the worker settings,
handed to the generic job worker (``jobs/worker.py``)."""

from __future__ import annotations

import structlog

from prefcenter.areas import AREAS
from prefcenter.context import AppContext
from prefcenter.jobs.handlers import NOOP, Handler, Sweep
from prefcenter.jobs.worker import Worker, WorkerTimings
from prefcenter.webhooks.jobs import DELIVERY_LANE
from prefcenter.worker_processes import parent_gone


def _job_handlers() -> dict[str, Handler]:
    handlers = {NOOP.kind: NOOP}
    for area in AREAS:
        for handler in area.load_job_handlers():
            if handler.kind in handlers:
                raise ValueError(f"job kind {handler.kind!r} is declared twice (area {area.name})")
            handlers[handler.kind] = handler
    return handlers


HANDLERS: dict[str, Handler] = _job_handlers()
SWEEPS: tuple[Sweep, ...] = tuple(sweep for area in AREAS for sweep in area.load_sweeps())


def build_worker(
    ctx: AppContext,
    *,
    worker_id: str | None = None,
    handlers: dict[str, Handler] | None = None,
    concurrency: int | None = None,
    webhooks: bool = True,
) -> Worker:
    """A worker over every area's job kinds and sweeps (``webhooks=False``: without the delivery lane)."""
    settings = ctx.settings.dsr
    return Worker(
        ctx,
        ctx.db,
        WorkerTimings(
            lease_seconds=settings.job_lease_seconds,
            backoff_seconds=settings.job_backoff_seconds,
            poll_seconds=settings.worker_poll_seconds,
        ),
        handlers=HANDLERS if handlers is None else handlers,
        sweeps=SWEEPS if webhooks else tuple(s for s in SWEEPS if s.lane != DELIVERY_LANE),
        concurrency=concurrency or settings.worker_concurrency,
        worker_id=worker_id,
    )


async def stop_with_parent(worker: Worker, parent_pid: int) -> None:
    """``serve --with-worker``: a server killed outright (SIGKILL, OOM) cannot stop its worker; it stops itself."""
    await parent_gone(parent_pid)
    if not worker.stop.is_set():
        structlog.get_logger("prefcenter.worker").info(
            "stopping: finishing the work in hand", reason="the serving process exited"
        )
        worker.stop.set()
