"""The insights use cases: read one metric's series (from the rollups, or the small tables directly), and
keep the rollups up to date (a sweep the worker runs: events after a watermark, folded in order)."""

from __future__ import annotations

from prefcenter.context import AppContext
from prefcenter.insights.schemas import InsightQuery, InsightSeries


async def read_insight(ctx: AppContext, query: InsightQuery) -> InsightSeries:
    """One metric's figures per period (and group), aggregates only, small groups suppressed
    (``ctx.settings.insights.min_group``). Raises ``InvalidInput`` for a ``group_by`` the metric has not."""
    raise NotImplementedError


def series_csv(series: InsightSeries) -> str:
    """The series as CSV: ``period,group,<columns>``; a suppressed or missing figure is an empty cell."""
    raise NotImplementedError


async def fold_new_events(ctx: AppContext, limit: int = 5000) -> int:
    """Fold up to ``limit`` events after the watermark into the rollups, in one transaction with the new
    watermark; returns how many were folded (0: up to date). The worker's ``insights.rollups`` sweep."""
    raise NotImplementedError
