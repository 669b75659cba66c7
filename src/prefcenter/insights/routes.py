from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter, QueryParameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.insights import service
from prefcenter.insights.schemas import (
    GroupBy,
    InsightFormat,
    InsightMetric,
    InsightQuery,
    InsightSeries,
    Interval,
)

DEFAULT_DAYS = 90


class InsightsController(Controller):
    path = "/v1/insights"
    tags = ["insights"]
    guards = [requires("insights:read")]

    @get("/{metric:str}", operation_id="readInsight")
    async def read(
        self,
        ctx: AppContext,
        metric: Annotated[
            InsightMetric,
            Parameter(
                description="`consent-rates`, `reach`, `collection`, `unsubscribes`, `doi`, `feedback`, "
                "`service` or `dsr`"
            ),
        ],
        start: Annotated[
            date | None,
            QueryParameter(
                name="from", description="First day, inclusive (UTC); default 90 days before `to`"
            ),
        ] = None,
        end: Annotated[
            date | None, QueryParameter(name="to", description="Last day, exclusive (UTC); default tomorrow")
        ] = None,
        interval: Annotated[
            Interval, Parameter(description="`day`, `week` (from Monday) or `month`")
        ] = "month",
        group_by: Annotated[
            GroupBy | None,
            Parameter(description="Group the figures by this (which ones apply depends on the metric)"),
        ] = None,
        format: Annotated[
            InsightFormat,
            Parameter(description="`json`, or `csv` with the columns `period,group,` then the figures"),
        ] = "json",
    ) -> Response[InsightSeries]:
        """One metric's figures per period and group: aggregates only, small groups' figures null."""
        end = end or datetime.now(UTC).date() + timedelta(days=1)
        query = InsightQuery(
            metric=metric,
            start=start or end - timedelta(days=DEFAULT_DAYS),
            end=end,
            interval=interval,
            group_by=group_by,
        )
        series = await service.read_insight(ctx, query)
        if format == "csv":
            return Response(  # type: ignore[return-value]
                service.series_csv(series),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="insights-{metric}.csv"'},
            )
        return Response(series)
