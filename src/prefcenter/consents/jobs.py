"""The consents area's work for the job worker: the expiry sweep (lapsed consents, and double opt-ins
never confirmed)."""

from prefcenter.consents.service import expire_due
from prefcenter.jobs.handlers import Sweep


async def _expire(ctx, worker_id: str) -> int:
    return await expire_due(ctx)


SWEEPS = [Sweep("consents.expire", _expire)]
