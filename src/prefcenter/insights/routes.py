from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter, QueryParameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput
from prefcenter.http.openapi import ANSWERS_OPT
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
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?!\n)$"


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 1, 1)  # far from date's limits: periods never overflow


def _day(text: str, name: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a date: {text}", reason=name) from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{name} must lie between {FIRST_DAY} and {LAST_DAY}", reason=name)
    return day


class InsightsController(Controller):
    path = "/v1/insights"
    tags = ["insights"]
    guards = [requires("insights:read")]

    @get("/{metric:str}", operation_id="readInsight", opt={ANSWERS_OPT: ("application/json", "text/csv")})
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
            str | None,
            QueryParameter(
                name="from",
                description="First day, inclusive (UTC, YYYY-MM-DD); default 90 days before `to`",
                pattern=DATE_PATTERN,
            ),
        ] = None,
        end: Annotated[
            str | None,
            QueryParameter(
                name="to",
                description="Last day, exclusive (UTC, YYYY-MM-DD); default tomorrow",
                pattern=DATE_PATTERN,
            ),
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
        last = _day(end, "to") if end else datetime.now(UTC).date() + timedelta(days=1)
        query = InsightQuery(
            metric=metric,
            start=_day(start, "from") if start else last - timedelta(days=DEFAULT_DAYS),
            end=last,
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
