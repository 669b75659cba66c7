"""``/admin/insights``: consent, feedback, service and DSR figures as charts drawn by the server (SVG), each
with its data table and a CSV download. For analysts, officers and admins (``insights``); aggregates only,
read through the insights service like ``GET /v1/insights/{metric}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from prefcenter.admin import charts
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import signed_in
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.http.pages import PAGE_HEADERS
from prefcenter.insights import service as insights
from prefcenter.insights.schemas import COLUMNS, GroupBy, InsightMetric, InsightQuery, Interval
from prefcenter.store.unit_of_work import utcnow

DEFAULT_DAYS = 182


@dataclass(frozen=True)
class ChartPlan:
    """One chart of the page: which series, which figure, drawn how."""

    key: str
    title: str
    metric: InsightMetric
    group_by: GroupBy | None
    figure: str
    kind: str  # line | bar | donut
    percent: bool = False


PLANS = (
    ChartPlan(
        "opt-in-rate", "Opt-in rate by channel", "consent-rates", "channel", "opt_in_rate", "line", True
    ),
    ChartPlan("collection", "Preference changes by touchpoint", "collection", "touchpoint", "changes", "bar"),
    ChartPlan(
        "methods",
        "How preferences were collected (share of changes)",
        "collection",
        "method",
        "changes",
        "donut",
    ),
    ChartPlan(
        "unsubscribes", "Unsubscribes by source", "unsubscribes", "touchpoint", "unsubscribes", "donut"
    ),
    ChartPlan(
        "contact-nothing",
        "Chose \u201ccontact me about nothing\u201d (do-not-contact on, share of people)",
        "audience",
        "do_not_contact",
        "people",
        "donut",
    ),
    ChartPlan(
        "preferred-channel", "People by preferred channel", "audience", "preferred_channel", "people", "bar"
    ),
    ChartPlan(
        "expiring",
        "Consents expiring within 90 days by topic",
        "expiring",
        "topic",
        "expiring_90_days",
        "bar",
    ),
    ChartPlan(
        "csat", "Customer satisfaction (CSAT, share scoring 4-5)", "feedback", None, "csat", "line", True
    ),
    ChartPlan("nps", "Net promoter score by channel", "feedback", "channel", "nps", "line"),
    ChartPlan(
        "feedback-touchpoints", "Feedback answers by touchpoint", "feedback", "touchpoint", "responses", "bar"
    ),
    ChartPlan("aht", "Average handle time by channel (seconds)", "service", "channel", "aht_seconds", "line"),
    ChartPlan("contacts", "Contacts by channel", "service", "channel", "interactions", "bar"),
    ChartPlan("dsr", "GDPR requests by type", "dsr", "type", "requests", "bar"),
)


@dataclass(frozen=True)
class DrawnChart:
    plan: ChartPlan
    chart: charts.Chart
    columns: list[str]
    rows: list[tuple[str, str, list[str]]]  # period, group, figures as text
    csv_href: str
    as_of: str


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date() + timedelta(days=1)
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise InvalidInput("the first day must come before the last")
    return start, end


def _draw(plan: ChartPlan, series) -> charts.Chart:
    if plan.kind == "line":
        return charts.line_chart(series, plan.figure, percent=plan.percent, title=plan.title)
    if plan.kind == "bar":
        return charts.bar_chart(series, plan.figure, title=plan.title)
    return charts.donut_chart(series, plan.figure, title=plan.title)


def _query_string(plan: ChartPlan, start: date, end: date, interval: str) -> str:
    group = f"&group_by={plan.group_by}" if plan.group_by else ""
    return f"from={start.isoformat()}&to={end.isoformat()}&interval={interval}{group}"


class InsightsPagesController(Controller):
    path = "/insights"

    @get("/", operation_id="adminInsights")
    async def insights_page(
        self,
        ctx: AppContext,
        request: Request,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        interval: Interval = "month",
    ) -> Response:
        """Every chart of the page for the chosen dates and interval."""
        staff = await signed_in(ctx, request, "insights")
        first, last = _range(start, end)
        drawn = []
        for plan in PLANS:
            series = await insights.read_insight(
                ctx, InsightQuery(plan.metric, first, last, interval, plan.group_by)
            )
            drawn.append(
                DrawnChart(
                    plan,
                    _draw(plan, series),
                    series.columns,
                    [
                        (
                            row.period.isoformat(),
                            row.group or "all",
                            [charts.figure_text(row.figures.get(c)) for c in series.columns],
                        )
                        for row in series.rows
                    ],
                    f"/admin/insights/csv/{plan.metric}?{_query_string(plan, first, last, interval)}",
                    series.as_of.strftime("%Y-%m-%d %H:%M UTC"),
                )
            )
        return admin_page(
            "insights.html",
            staff,
            title="Insights",
            current="/admin/insights",
            charts=drawn,
            start=first,
            end=last,
            interval=interval,
            min_group=ctx.settings.insights.min_group,
        )

    @get("/csv/{metric:str}", operation_id="adminInsightsCsv")
    async def insights_csv(
        self,
        ctx: AppContext,
        request: Request,
        metric: str,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        interval: Interval = "month",
        group_by: GroupBy | None = None,
    ) -> Response:
        """One chart's series as CSV (``period,group,<figures>``), as ``GET /v1/insights/{metric}`` gives it."""
        await signed_in(ctx, request, "insights")
        if metric not in COLUMNS:
            raise NotFound(f"no insight {metric}")
        first, last = _range(start, end)
        series = await insights.read_insight(ctx, InsightQuery(metric, first, last, interval, group_by))
        name = f"{metric}-{group_by or 'all'}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            insights.series_csv(series),
            media_type="text/csv; charset=utf-8",
            headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )
