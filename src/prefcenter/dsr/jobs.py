"""The DSR area's work for the job worker: the erasure, export and action jobs (a job out of attempts
fails its request), the deadline sweep and the downstream tasks whose webhooks were dead-lettered."""

from prefcenter.dsr.acknowledgements import resolve_undeliverable_tasks
from prefcenter.dsr.downstream import sweep
from prefcenter.dsr.erasure import erase_requests
from prefcenter.dsr.export import run_export
from prefcenter.dsr.lifecycle import mark_failed
from prefcenter.dsr.preference_actions import run_action
from prefcenter.jobs.handlers import Handler, Sweep


async def _export(ctx, jobs, worker_id: str) -> None:
    for job in jobs:
        await run_export(ctx, job, worker_id)


async def _action(ctx, jobs, worker_id: str) -> None:
    for job in jobs:
        await run_action(ctx, job, worker_id)


async def _request_failed(ctx, job) -> None:
    await mark_failed(ctx, job.payload["request_id"], job.last_error or "the job failed")


async def _deadlines(ctx, worker_id: str) -> int:
    return await sweep(ctx)


HANDLERS = [
    Handler("dsr.erasure", erase_requests, batch=100, on_dead=_request_failed),
    Handler("dsr.export", _export, on_dead=_request_failed),
    Handler("dsr.action", _action, on_dead=_request_failed),
]
SWEEPS = [
    Sweep("dsr.deadlines", _deadlines),  # acknowledgement deadlines, expired exports
    Sweep("dsr.undeliverable_tasks", resolve_undeliverable_tasks),  # webhooks dead-lettered
]
