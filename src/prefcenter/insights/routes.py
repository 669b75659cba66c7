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
                description="`consent-rates`: at each period's end (the last day in it the worker counted: "
                "a closed day's figures are the count nearest its end, the current period's the newest, "
                "`as_of`), per (channel, topic) the catalog offers, counted once per person and "
                "pair: the people not erased with an identity that reaches the channel (`subjects`), of them "
                "those the decision function of consent checks allows (`opted_in`: consent records, expiry, "
                "do-not-contact and catalog edits move it) and those it refuses for a choice of their own "
                "(`opted_out`: an opt-out, an objection, a withdrawn consent, do-not-contact), by channel, "
                "topic, or the touchpoint and site where the person's current choice for the pair was made "
                "(`none`: no choice made); the minimum group counts people; "
                "`reach`: now, per (channel, topic) the catalog "
                "offers, the people not erased with an identity that reaches the channel (email: an email "
                "address; sms, phone: a phone number; push: a device; any other channel: everyone) and of them "
                "those the decision function of consent checks allows (`reachable`), recounted by the worker "
                'every few minutes (`as_of`); `audience`: now, people not erased, how many chose "contact me '
                'about nothing" (the do-not-contact switch) and their share, by `preferred_channel` (the '
                "channel the person chose as preferred; `none` when unset) or `do_not_contact` (`on`/`off`); "
                "`expiring`: now, current consents granted and not expired, and of them those expiring within "
                "30 and 90 days of `as_of`, in all or by topic; `collection`, `unsubscribes`, `doi`, "
                "`feedback`, `service` (from the contacts' rollup: AHT, first contacts, FCR = resolved first "
                "contacts not followed on the same topic within 7 days, channel switches) or `dsr`"
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
