"""Job handlers by kind. Every handler is idempotent: running a job twice has the effect of running it once.

A handler gets the jobs it was given (one, or up to ``batch`` of the same kind) and either returns
(the worker marks them done — handlers may also mark them done inside their own last transaction)
or raises (the worker retries with backoff, then dead-letters and calls ``on_dead``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefcenter.context import AppContext
    from prefcenter.store.models_dsr import Job

HandlerFn = Callable[["AppContext", list["Job"], str], Awaitable[None]]
DeadFn = Callable[["AppContext", "Job"], Awaitable[None]]


@dataclass(frozen=True)
class Handler:
    kind: str
    run: HandlerFn
    batch: int = 1  # >1: the worker hands this many jobs of the kind to one call
    on_dead: DeadFn | None = None


async def _noop(ctx: AppContext, jobs: list[Job], worker_id: str) -> None:
    """Does nothing; used to check a worker is alive and to measure the queue itself."""


async def _erasure(ctx: AppContext, jobs: list[Job], worker_id: str) -> None:
    from prefcenter.dsr.erasure import erase_requests

    await erase_requests(ctx, jobs, worker_id)


async def _export(ctx: AppContext, jobs: list[Job], worker_id: str) -> None:
    from prefcenter.dsr.export import run_export

    for job in jobs:
        await run_export(ctx, job, worker_id)


async def _action(ctx: AppContext, jobs: list[Job], worker_id: str) -> None:
    from prefcenter.dsr.service import run_action

    for job in jobs:
        await run_action(ctx, job, worker_id)


async def _dsr_dead(ctx: AppContext, job: Job) -> None:
    from prefcenter.dsr.service import mark_failed

    await mark_failed(ctx, job.payload["request_id"], job.last_error or "the job failed")


HANDLERS: dict[str, Handler] = {
    h.kind: h
    for h in (
        Handler("noop", _noop, batch=20),
        Handler("dsr.erasure", _erasure, batch=100, on_dead=_dsr_dead),
        Handler("dsr.export", _export, on_dead=_dsr_dead),
        Handler("dsr.action", _action, on_dead=_dsr_dead),
    )
}
