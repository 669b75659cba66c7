"""What the insights area contributes: ``GET /v1/insights/{metric}`` and the sweeps that keep its rollups
(events folded after a watermark; the reachable audience recounted every few minutes)."""

from prefcenter.area_declaration import Area
from prefcenter.insights.routes import InsightsController
from prefcenter.insights.service import fold_new_events, recount_reach
from prefcenter.jobs.handlers import Sweep


async def _fold(ctx, worker_id: str) -> int:
    return await fold_new_events(ctx)


async def _reach(ctx, worker_id: str) -> int:
    return await recount_reach(ctx)


AREA = Area(
    name="insights",
    routes=[InsightsController],
    sweeps=[
        Sweep("insights.rollups", _fold, lane="insights"),
        Sweep("insights.reach", _reach, lane="insights"),
    ],
)
