"""The insights area's work for the job worker: events folded into the rollups after a watermark, and the
reachable audience recounted every few minutes."""

from prefcenter.insights.service import fold_new_events, recount_reach
from prefcenter.jobs.handlers import Sweep


async def _fold(ctx, worker_id: str) -> int:
    return await fold_new_events(ctx)


async def _reach(ctx, worker_id: str) -> int:
    return await recount_reach(ctx)


SWEEPS = [
    Sweep("insights.rollups", _fold, lane="insights"),
    Sweep("insights.reach", _reach, lane="insights"),
]
