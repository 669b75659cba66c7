"""The insights API's shapes: one series shape for every metric, so a chart or a CSV reads them all alike.

A row is one period (its first day) and one group; ``figures`` holds the metric's figures in the order
``columns`` names them. A group smaller than the minimum group size keeps its row, its figures ``null``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

InsightMetric = Literal[
    "consent-rates",
    "reach",
    "audience",
    "expiring",
    "collection",
    "unsubscribes",
    "doi",
    "feedback",
    "service",
    "dsr",
]
Interval = Literal["day", "week", "month"]
GroupBy = Literal[
    "channel",
    "topic",
    "touchpoint",
    "site",
    "method",
    "type",
    "source",
    "system",
    "metric",
    "preferred_channel",
    "do_not_contact",
]
InsightFormat = Literal["json", "csv"]
Figure = int | float | None

# The figures of each metric, in column order (the CSV's columns after ``period,group``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "consent-rates": ("subjects", "opted_in", "opted_out", "opt_in_rate"),
    "reach": ("subjects", "reachable"),
    "audience": ("people", "contact_nothing", "contact_nothing_share"),
    "expiring": ("granted", "expiring_30_days", "expiring_90_days"),
    "collection": ("changes", "opted_in", "opted_out"),
    "unsubscribes": ("unsubscribes",),
    "doi": ("requested", "confirmed", "confirmation_rate", "median_seconds_to_confirm"),
    "feedback": ("responses", "csat", "nps", "ces"),
    "service": ("interactions", "aht_seconds", "first_contacts", "fcr", "channel_switches"),
    "dsr": (
        "requests",
        "completed",
        "median_days",
        "p90_days",
        "on_time_share",
        "open",
        "overdue",
        "extensions",
    ),
}
# What each metric may be grouped by (``group_by`` outside these is refused).
GROUPS: dict[str, tuple[str, ...]] = {
    "consent-rates": ("channel", "topic", "touchpoint", "site"),
    "reach": ("channel", "topic"),
    "audience": ("preferred_channel", "do_not_contact"),
    "expiring": ("topic",),
    "collection": ("touchpoint", "method", "channel", "topic", "site"),
    "unsubscribes": ("touchpoint", "channel", "topic", "site"),
    "doi": ("topic", "touchpoint", "site"),
    "feedback": ("metric", "channel", "touchpoint", "site"),
    "service": ("channel", "touchpoint"),
    "dsr": ("type", "source", "system"),
}


class InsightQuery(msgspec.Struct, frozen=True):
    """What to measure: ``start`` inclusive, ``end`` exclusive (UTC days; weeks start on Monday)."""

    metric: InsightMetric
    start: date
    end: date
    interval: Interval = "month"
    group_by: GroupBy | None = None


class InsightRow(msgspec.Struct):
    period: date  # the period's first day
    group: str | None  # the group's key (a channel, topic, touchpoint, ...); null without group_by
    figures: dict[str, Figure]  # null: the group has fewer people than min_group, or nothing to measure


class InsightSeries(msgspec.Struct, kw_only=True):
    metric: InsightMetric
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
    interval: Interval = "month"
    group_by: GroupBy | None = None
    as_of: datetime  # the figures hold everything recorded up to this moment
    min_group: int  # groups with fewer people than this show no figures
    columns: list[str]
    rows: list[InsightRow]
