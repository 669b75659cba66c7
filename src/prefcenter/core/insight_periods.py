"""Periods and small statistics for insights: pure. Times are UTC days; weeks start on Monday; a range is
``start`` inclusive, ``end`` exclusive; a period is named by its first day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta


def period_start(day: date, interval: str) -> date:
    """The first day of the period (``day``, ``week`` from Monday, ``month``) holding ``day``."""
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown interval {interval}")


def next_period(first: date, interval: str) -> date:
    if interval == "day":
        return first + timedelta(days=1)
    if interval == "week":
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(start: date, end: date, interval: str) -> list[tuple[date, date]]:
    """The periods overlapping ``[start, end)``, each as (first day, end): the first starts at ``start``'s
    period, the last ends at ``end`` at most (a period cut by ``end`` is measured up to ``end``)."""
    out = []
    first = period_start(start, interval)
    while first < end:
        after = next_period(first, interval)
        out.append((first, min(after, end)))
        first = after
    return out


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ``values`` by linear interpolation between closest ranks (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def days_a_count_stands_for(now: datetime, last: datetime | None) -> list[date]:
    """The days whose end state a count of the consent rates made at ``now`` is, ``last`` being when the
    count before it was made: today (so far), and yesterday too when this is the first count of the day and
    it is nearer yesterday's end than yesterday's last count was."""
    today = now.astimezone(UTC).date()
    midnight = datetime.combine(today, time(), UTC)
    days = [today]
    if (
        last is not None
        and midnight - timedelta(days=1) <= last < midnight
        and now - midnight < midnight - last
    ):
        days.append(today - timedelta(days=1))
    return days
