"""The insights use cases: read one metric's series (from the rollups, or the small tables directly), and
keep the rollups up to date (the worker's sweeps: events after a watermark folded in order; the reachable
audience recounted every few minutes, since catalog edits and expiry change it without an event).

Aggregates only: no answer names a person. A group with fewer people than ``PREFCENTER_INSIGHTS_MIN_GROUP``
keeps its row with every figure null (for counts of changes, a change counts as a person).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from prefcenter.checks.campaign import CampaignDecider, campaign_keys
from prefcenter.context import AppContext
from prefcenter.core.contact_folds import CONTACT_FIGURES
from prefcenter.core.decisions import ALL_CHANNELS, REFUSED_BY_THE_PERSON
from prefcenter.core.feedback_scores import ces, csat, nps
from prefcenter.core.insight_folds import CONSENT_CHOICE, Choice, latest_choice
from prefcenter.core.insight_periods import (
    days_a_count_stands_for,
    next_period,
    period_start,
    periods,
    quantile,
    share,
)
from prefcenter.errors import InvalidInput
from prefcenter.insights.schemas import COLUMNS, GROUPS, Figure, InsightQuery, InsightRow, InsightSeries
from prefcenter.store import insight_reads, insight_rollups
from prefcenter.store.projection_rows import SubjectRef, utc_instant
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import utcnow
from prefcenter.vocabulary import CHANNEL_IDENTITY_KINDS

MAX_PERIODS = 1000
RECOUNT_CHUNK = 2000  # people per read when the reachable audience is recounted
RECOUNT_SHARE = 20  # the next recount waits at least this many times as long as the last one took
NO_GROUP = "none"  # the group of changes recorded without a touchpoint, site or method
OPEN_DSR = ("received", "verified", "in_progress", "waiting_on_systems")

Figures = dict[str, Figure]


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _suppressed(metric: str) -> Figures:
    return dict.fromkeys(COLUMNS[metric])


class _Periods:
    """The query's periods: which one a day falls in, and their first days in order."""

    def __init__(self, query: InsightQuery) -> None:
        self.spans = periods(query.start, query.end, query.interval)
        if len(self.spans) > MAX_PERIODS:
            raise InvalidInput(f"at most {MAX_PERIODS} periods in one answer: use a longer interval")
        self.interval = query.interval
        self.start, self.end = query.start, query.end
        self.firsts = [first for first, _ in self.spans]

    def of(self, day: date) -> date | None:
        return period_start(day, self.interval) if self.start <= day < self.end else None


def _rows(
    ctx: AppContext,
    firsts: Iterable[date],
    metric: str,
    groups: dict[tuple[date, str | None], Figures],
    size: Callable[[Figures], int],
) -> list[InsightRow]:
    """The answer's rows, period by period and group by group; a group smaller than the minimum keeps its
    row with its figures suppressed."""
    min_group = ctx.settings.insights.min_group
    names = sorted({g for _, g in groups}, key=lambda g: (g is None, g or ""))
    out = []
    for first in firsts:
        for group in names:
            figures = groups.get((first, group))
            if figures is None:
                continue
            out.append(
                InsightRow(first, group, figures if size(figures) >= min_group else _suppressed(metric))
            )
    return out


def _closing_days(p: _Periods, counted: Iterable[str]) -> dict[date, str]:
    """Per period, the last day in it with a count: its rows are the state at the period's end (a closed
    day's count is the one nearest its end; the current period's, the latest)."""
    last: dict[date, str] = {}
    for day in counted:
        first = p.of(date.fromisoformat(day))
        if first is not None:
            last[first] = day  # days come in order: the last one wins
    return last


async def _consent_rates(
    ctx: AppContext, query: InsightQuery, p: _Periods
) -> tuple[list[InsightRow], datetime]:
    """At each period's end, per (channel, topic) the catalog offers: ``subjects`` are the people with an
    identity that reaches the channel (everyone, for a channel no identity kind reaches), ``opted_in``
    those ``decide`` allows, ``opted_out`` those it refuses for a choice of their own; grouped by channel,
    topic, or the touchpoint and site where the person's current choice for the pair was made ("none":
    never chosen). A person counts once per (channel, topic) pair; the minimum group counts people. The
    worker's recount writes the state (``recount_reach``); ``as_of`` is when the newest figures were
    counted."""
    async with ctx.db.read_session() as session:
        counted = await insight_rollups.rate_days(session, query.start.isoformat(), query.end.isoformat())
        closing = _closing_days(p, counted)
        days = sorted(closing.values())
        sums = await insight_rollups.rate_sums(session, days, query.group_by)
        people = await insight_rollups.rate_people(session, days, query.group_by or "")
        as_of = (await insight_rollups.rate_counted_at(session, days[-1]) if days else None) or utcnow()
    period_of = {day: first for first, day in closing.items()}
    groups: dict[tuple[date, str | None], Figures] = {}
    sizes: dict[int, int] = {}
    for day, grp, subjects, opted_in, opted_out in sums:
        group = (grp or NO_GROUP) if query.group_by else None
        figures = groups[(period_of[day], group)] = {
            "subjects": int(subjects),
            "opted_in": int(opted_in),
            "opted_out": int(opted_out),
            "opt_in_rate": share(int(opted_in), int(subjects)),
        }
        sizes[id(figures)] = people.get((day, grp or "" if query.group_by else ""), 0)
    return _rows(ctx, p.firsts, "consent-rates", groups, lambda f: sizes[id(f)]), as_of


async def _event_counts(
    ctx: AppContext, query: InsightQuery, p: _Periods, kinds: tuple[str, ...]
) -> tuple[dict[tuple[date, str | None], dict[str, int]], datetime]:
    async with ctx.db.read_session() as session:
        counted = await insight_rollups.event_counts_by_day(
            session, query.start.isoformat(), query.end.isoformat(), kinds, query.group_by
        )
        as_of = await insight_rollups.watermark_time(session)
    sums: dict[tuple[date, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counted:
        first = p.of(date.fromisoformat(row[0]))
        if first is None:
            continue
        group = (row[2] or NO_GROUP) if query.group_by else None
        sums[(first, group)][row[1]] += int(row[-1] or 0)
    return sums, as_of


async def _collection(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    sums, as_of = await _event_counts(
        ctx, query, p, ("opted_in", "opted_out", "granted", "pending_confirmation", "withdrawn")
    )
    groups: dict[tuple[date, str | None], Figures] = {}
    for key, n in sums.items():
        opted_in = n["opted_in"] + n["granted"] + n["pending_confirmation"]
        opted_out = n["opted_out"] + n["withdrawn"]
        groups[key] = {"changes": opted_in + opted_out, "opted_in": opted_in, "opted_out": opted_out}
    return _rows(ctx, p.firsts, "collection", groups, lambda f: int(f["changes"] or 0)), as_of


async def _unsubscribes(
    ctx: AppContext, query: InsightQuery, p: _Periods
) -> tuple[list[InsightRow], datetime]:
    sums, as_of = await _event_counts(ctx, query, p, ("opted_out",))
    groups: dict[tuple[date, str | None], Figures] = {
        k: {"unsubscribes": n["opted_out"]} for k, n in sums.items()
    }
    return _rows(ctx, p.firsts, "unsubscribes", groups, lambda f: int(f["unsubscribes"] or 0)), as_of


async def _doi(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    sums, as_of = await _event_counts(ctx, query, p, ("pending_confirmation", "confirmed"))
    waits: dict[tuple[date, str | None], list[float]] = defaultdict(list)
    if query.group_by in (None, "topic", "touchpoint"):
        async with ctx.db.read_session() as session:
            confirmed = await insight_reads.confirmation_rows(
                session, _instant(query.start), _instant(query.end)
            )
        for row in confirmed:
            first = p.of(row.confirmed_at.astimezone(UTC).date())
            if first is not None:
                group = (getattr(row, query.group_by) or NO_GROUP) if query.group_by else None
                waits[(first, group)].append((row.confirmed_at - row.granted_at).total_seconds())
    groups: dict[tuple[date, str | None], Figures] = {}
    for key, n in sums.items():
        median = quantile(waits.get(key, []), 0.5)
        groups[key] = {
            "requested": n["pending_confirmation"],
            "confirmed": n["confirmed"],
            "confirmation_rate": share(n["confirmed"], n["pending_confirmation"]),
            "median_seconds_to_confirm": median,
        }
    size = lambda f: max(int(f["requested"] or 0), int(f["confirmed"] or 0))  # noqa: E731
    return _rows(ctx, p.firsts, "doi", groups, size), as_of


async def _reach(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    """Now (the newest count of the consent rates), per (channel, topic) the catalog offers, or per channel
    or topic: the people a channel reaches and of them those ``decide`` allows."""
    async with ctx.db.read_session() as session:
        day = await insight_rollups.newest_rate_day(session)
        as_of = await insight_rollups.rate_counted_at(session, day) if day else None
        if day is None or as_of is None:
            return [], utcnow()
        sums = await insight_rollups.rate_sums(session, [day], query.group_by or "pair")
        people = await insight_rollups.rate_people(session, [day], query.group_by or "pair")
    today = as_of.astimezone(UTC).date()
    groups: dict[tuple[date, str | None], Figures] = {}
    sizes: dict[int, int] = {}
    for _day, grp, subjects, reachable, _opted_out in sums:
        figures = groups[(today, grp)] = {"subjects": int(subjects), "reachable": int(reachable)}
        sizes[id(figures)] = people.get((day, grp), 0)
    return _rows(ctx, [today], "reach", groups, lambda f: sizes[id(f)]), as_of


async def _audience(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    """People now (not erased), per preferred channel or "contact me about nothing" switch: a count the
    worker keeps with the reachable audience (one row, the day of ``as_of``)."""
    async with ctx.db.read_session() as session:
        counted = await insight_rollups.audience_rows(session)
    as_of = max((r.counted_at for r in counted), default=utcnow())
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for r in counted:
        if query.group_by == "preferred_channel":
            group: str | None = r.preferred_channel or NO_GROUP
        elif query.group_by == "do_not_contact":
            group = "on" if r.do_not_contact else "off"
        else:
            group = None
        sums[group][0] += r.people
        sums[group][1] += r.people if r.do_not_contact else 0
    today = as_of.astimezone(UTC).date()
    groups: dict[tuple[date, str | None], Figures] = {
        (today, g): {"people": n, "contact_nothing": nothing, "contact_nothing_share": share(nothing, n)}
        for g, (n, nothing) in sums.items()
    }
    return _rows(ctx, [today], "audience", groups, lambda f: int(f["people"] or 0)), as_of


async def _expiring(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    """Current consents granted (not expired), and of them those expiring within 30 and 90 days of
    ``as_of``, per topic or in all: a count the worker keeps with the reachable audience."""
    async with ctx.db.read_session() as session:
        counted = await insight_rollups.expiring_rows(session)
    as_of = max((r.counted_at for r in counted), default=utcnow())
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in counted:
        figures = sums[r.topic if query.group_by == "topic" else None]
        figures[0] += r.granted
        figures[1] += r.expiring_30_days
        figures[2] += r.expiring_90_days
    today = as_of.astimezone(UTC).date()
    groups: dict[tuple[date, str | None], Figures] = {
        (today, g): {"granted": n, "expiring_30_days": in30, "expiring_90_days": in90}
        for g, (n, in30, in90) in sums.items()
    }
    return _rows(ctx, [today], "expiring", groups, lambda f: int(f["granted"] or 0)), as_of


async def _feedback(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    as_of = utcnow()
    async with ctx.db.read_session() as session:
        counted = await insight_reads.feedback_counts(
            session, _instant(query.start), _instant(query.end), query.group_by
        )
    scores: dict[tuple[date, str | None], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for day, metric, score, group, answers in counted:
        first = p.of(date.fromisoformat(day))
        if first is not None:
            scores[(first, (group or NO_GROUP) if query.group_by else None)][metric].extend([score] * answers)
    groups: dict[tuple[date, str | None], Figures] = {
        key: {
            "responses": sum(len(v) for v in by_metric.values()),
            "csat": csat(by_metric.get("csat", [])),
            "nps": nps(by_metric.get("nps", [])),
            "ces": ces(by_metric.get("ces", [])),
        }
        for key, by_metric in scores.items()
    }
    return _rows(ctx, p.firsts, "feedback", groups, lambda f: int(f["responses"] or 0)), as_of


async def _service(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    """From the service rollup (core/contact_folds.py). AHT: mean ``handle_seconds`` of contacts that have
    it. FCR: the share of first contacts (continuing none) that were resolved and not followed within 7 days
    by another contact of the same person on the same topic. Channel switches: contacts continuing one on
    another channel. The minimum group counts distinct people: the day rows bound a period's number, and
    only a group the bounds leave undecided is counted exactly from the folded contacts."""
    start_day, end_day = query.start.isoformat(), query.end.isoformat()
    async with ctx.db.read_session() as session:
        days = await insight_rollups.contact_days(session, start_day, end_day)
        as_of = await insight_rollups.watermark_time(session, insight_rollups.CONTACTS_WATERMARK)
    sums: dict[tuple[date, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in days:
        first = p.of(date.fromisoformat(row.day))
        if first is None:
            continue
        figures = sums[(first, (getattr(row, query.group_by) or NO_GROUP) if query.group_by else None)]
        for name in CONTACT_FIGURES:
            if name != "people":
                figures[name] += getattr(row, name)
        figures["most_people"] = max(figures["most_people"], row.people)  # people: at least the most in a row
        figures["people"] += row.people  # and at most the sum
    min_group = ctx.settings.insights.min_group
    undecided = {k for k, f in sums.items() if f["most_people"] < min_group <= f["people"]}
    if undecided:
        lo = min(k[0] for k in undecided)
        hi = max(next_period(k[0], query.interval) for k in undecided)
        people: dict[tuple[date, str | None], set[str]] = defaultdict(set)
        async with ctx.db.read_session() as session:
            rows = await insight_rollups.contact_people(
                session, lo.isoformat(), min(hi, query.end).isoformat()
            )
        for row in rows:
            first = p.of(date.fromisoformat(row.day))
            key = (first, (getattr(row, query.group_by) or NO_GROUP) if query.group_by else None)
            if key in undecided:
                people[key].add(row.subject_id)
        for key in undecided:
            sums[key]["people"] = len(people[key])
    groups: dict[tuple[date, str | None], Figures] = {}
    sizes: dict[int, int] = {}
    for key, f in sums.items():
        groups[key] = {
            "interactions": f["contacts"],
            "aht_seconds": f["handle_seconds"] / f["handled"] if f["handled"] else None,
            "first_contacts": f["first_contacts"],
            "fcr": share(f["resolved_first"], f["first_contacts"]),
            "channel_switches": f["channel_switches"],
        }
        sizes[id(groups[key])] = f["people"]
    return _rows(ctx, p.firsts, "service", groups, lambda f: sizes[id(f)]), as_of


async def _dsr(ctx: AppContext, query: InsightQuery, p: _Periods) -> tuple[list[InsightRow], datetime]:
    now = utcnow()
    window = (_instant(query.start), _instant(query.end))
    groups: dict[tuple[date, str | None], Figures] = {}
    async with ctx.db.read_session() as session:
        if query.group_by == "system":
            tasks = await insight_reads.dsr_task_rows(session, *window)
        else:
            requests = await insight_reads.dsr_rows(session, *window)
    if query.group_by == "system":
        acks: dict[tuple[date, str | None], list] = defaultdict(list)
        for t in tasks:
            first = p.of(t.created_at.astimezone(UTC).date())
            if first is not None:
                acks[(first, t.name)].append(t)
        for key, ts in acks.items():
            days = [
                (t.resolved_at - t.created_at).total_seconds() / 86400
                for t in ts
                if t.status == "acknowledged"
            ]
            groups[key] = dict.fromkeys(COLUMNS["dsr"]) | {
                "requests": len(ts),
                "completed": len(days),
                "median_days": quantile(days, 0.5),
                "p90_days": quantile(days, 0.9),
                "open": sum(1 for t in ts if t.status == "pending"),
            }
        size = lambda f: int(f["requests"] or 0)  # noqa: E731
        return _rows(ctx, p.firsts, "dsr", groups, size), now
    by: dict[tuple[date, str | None], list] = defaultdict(list)
    for r in requests:
        first = p.of(r.received_at.astimezone(UTC).date())
        if first is not None:
            by[(first, getattr(r, query.group_by) if query.group_by else None)].append(r)
    for key, rs in by.items():
        done = [r for r in rs if r.completed_at is not None and r.status == "completed"]
        days = [(r.completed_at - r.received_at).total_seconds() / 86400 for r in done]
        still_open = [r for r in rs if r.status in OPEN_DSR]
        groups[key] = {
            "requests": len(rs),
            "completed": len(done),
            "median_days": quantile(days, 0.5),
            "p90_days": quantile(days, 0.9),
            "on_time_share": share(sum(1 for r in done if r.completed_at <= r.due_at), len(done)),
            "open": len(still_open),
            "overdue": sum(1 for r in still_open if r.due_at < now),
            "extensions": sum(1 for r in rs if r.extended_months),
        }
    return _rows(ctx, p.firsts, "dsr", groups, lambda f: int(f["requests"] or 0)), now


READERS = {
    "consent-rates": _consent_rates,
    "reach": _reach,
    "audience": _audience,
    "expiring": _expiring,
    "collection": _collection,
    "unsubscribes": _unsubscribes,
    "doi": _doi,
    "feedback": _feedback,
    "service": _service,
    "dsr": _dsr,
}


async def read_insight(ctx: AppContext, query: InsightQuery) -> InsightSeries:
    """One metric's figures per period (and group), aggregates only, small groups suppressed
    (``ctx.settings.insights.min_group``). Raises ``InvalidInput`` for a ``group_by`` the metric has not."""
    if query.group_by is not None and query.group_by not in GROUPS[query.metric]:
        raise InvalidInput(
            f"{query.metric} is grouped by {', '.join(GROUPS[query.metric])}, not {query.group_by}",
            reason="group_by",
        )
    if query.end <= query.start:
        raise InvalidInput("to must come after from", reason="range")
    rows, as_of = await READERS[query.metric](ctx, query, _Periods(query))
    return InsightSeries(
        metric=query.metric,
        start=query.start,
        end=query.end,
        interval=query.interval,
        group_by=query.group_by,
        as_of=as_of,
        min_group=ctx.settings.insights.min_group,
        columns=list(COLUMNS[query.metric]),
        rows=rows,
    )


def series_csv(series: InsightSeries) -> str:
    """The series as CSV: ``period,group,<columns>``; a suppressed or missing figure is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "group", *series.columns])
    for row in series.rows:
        writer.writerow(
            [
                row.period.isoformat(),
                row.group or "",
                *("" if row.figures.get(c) is None else row.figures[c] for c in series.columns),
            ]
        )
    return out.getvalue()


async def fold_new_events(ctx: AppContext, limit: int = 5000) -> int:
    """Fold up to ``limit`` events after each watermark into the rollups (the consent rollups; the service
    rollup from contacts and erasures), each in one transaction with its new watermark; returns how many
    events were read (0: up to date). The worker's ``insights.rollups`` sweep."""
    async with ctx.db.write_session() as session:
        read = await insight_rollups.fold_after_watermark(session, utcnow(), limit)
    async with ctx.db.write_session() as session:
        return read + await insight_rollups.fold_contacts_after_watermark(session, utcnow(), limit)


def _rate_groups(channel: str, topic: str, choice: Choice | None) -> tuple[tuple[str, str], ...]:
    """The (dimension, group) pairs a person counted for (channel, topic) falls in, where the choice was
    made (``choice``: the folded choice for the pair, None if never made)."""
    touchpoint, site = (choice.touchpoint, choice.site) if choice is not None else ("", "")
    return (
        ("", ""),
        ("channel", channel),
        ("topic", topic),
        ("touchpoint", touchpoint),
        ("site", site),
        ("pair", f"{channel}/{topic}"),
    )


async def recount_reach(ctx: AppContext, *, force: bool = False) -> int:
    """Recount the consent rates (the reachable audience), the audience and the expiring consents when the
    last count is older than ``reach_every_seconds``, or is of an earlier day (or ``force``); returns the
    number of (channel, topic) pairs counted (0: not due). The worker's ``insights.reach`` sweep.

    Everyone not erased is walked ``RECOUNT_CHUNK`` at a time: for each (channel, topic) the catalog offers,
    ``subjects`` are the people with an identity that reaches the channel (everyone, for a channel no
    identity kind reaches), ``opted_in`` those of them ``decide`` allows now and ``opted_out`` those it
    refuses for a choice of their own (checks/campaign.py: the same answers as a consent check; catalog
    edits and expiry count without an event), grouped by where the person's current choice for the pair
    was made. The count is today's state; the first count of a day is also the previous day's end when it
    is nearer that end than the previous day's last count was."""
    now = utcnow()
    async with ctx.db.read_session() as session:
        last, took = await insight_rollups.reach_last_count(session)
    # A recount waits RECOUNT_SHARE times as long as the last one took, at least: however many people there
    # are, recounting uses under 1/RECOUNT_SHARE of a core (about 65 s per 1,000,000 people here). The
    # first count of a day does not wait: it may close the day before.
    every = max(ctx.settings.insights.reach_every_seconds, RECOUNT_SHARE * took)
    new_day = last is not None and last.astimezone(UTC).date() < now.astimezone(UTC).date()
    if not force and last is not None and not new_day and now - last < timedelta(seconds=every):
        return 0
    days = [day.isoformat() for day in days_a_count_stands_for(now, last)]
    started = monotonic()
    reader = projection_reader(ctx.db)
    catalog = await reader.catalog()
    pairs = sorted(
        (channel, key)
        for key, rule in catalog.topics.items()
        for channel in rule.channels
        if channel in catalog.channels
    )
    deciders = {(c, t): CampaignDecider(c, catalog.topics[t], now, catalog.channels) for c, t in pairs}
    rates: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    people: dict[tuple[str, str], int] = defaultdict(int)
    audience: dict[tuple[str, bool], int] = defaultdict(int)
    expiring: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    in30, in90 = now + timedelta(days=30), now + timedelta(days=90)
    after = ""
    while True:
        async with ctx.db.read_session() as session:
            living = await insight_rollups.living_subjects(session, after, RECOUNT_CHUNK)
            if not living:
                break
            ids = [p.id for p in living]
            kinds = await insight_rollups.identity_kinds(session, ids)
            choices = await insight_rollups.choices_of(session, ids)
        after = living[-1].id
        for p in living:
            audience[(p.preferred_channel or "", bool(p.do_not_contact))] += 1
        rows = await reader.fetch([SubjectRef("id", sid) for sid in ids])
        groups_of: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for channel, topic in pairs:
            wanted = CHANNEL_IDENTITY_KINDS.get(channel)
            keys = campaign_keys(rows.subjects.values(), rows.preferences, rows.consents, channel, topic, now)
            decider = deciders[(channel, topic)]
            for sid, (key, _consent_id, _notice_version) in keys.items():
                if wanted is not None and kinds.get(sid, set()).isdisjoint(wanted):
                    continue
                choice = latest_choice(
                    choices.get((sid, channel, topic)),
                    choices.get((sid, ALL_CHANNELS, topic)),
                    choices.get((sid, CONSENT_CHOICE, topic)),
                )
                where = (choice.touchpoint, choice.site) if choice is not None else ("", "")
                allowed, reason, _cites, _preference = decider.verdict(key)
                counts = rates[(channel, topic, *where)]
                counts[0] += 1
                counts[1] += allowed
                counts[2] += not allowed and reason in REFUSED_BY_THE_PERSON
                groups_of[sid].update(_rate_groups(channel, topic, choice))
        for in_groups in groups_of.values():
            for group in in_groups:
                people[group] += 1
        for _sid, _cid, topic, status, _channels, _nv, _granted, expires_at in rows.consents:
            if status != "granted":
                continue
            ends = utc_instant(expires_at)
            if ends is not None and ends <= now:
                continue  # expired already: no longer granted
            counts = expiring[topic]
            counts[0] += 1
            counts[1] += ends is not None and ends <= in30
            counts[2] += ends is not None and ends <= in90
    async with ctx.db.write_session() as session:
        await insight_rollups.replace_counts(
            session,
            now,
            days,
            dict(rates),
            dict(people),
            dict(audience),
            dict(expiring),
            monotonic() - started,
        )
    return len(pairs)
