"""The insights rollups' SQL: fold the events after the watermark (core/insight_folds.py does the
arithmetic) and read the rollups back. The upserts are the one dialect branch (``ON CONFLICT`` through
SQLAlchemy's SQLite and PostgreSQL inserts); everything else is portable Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Row, and_, delete, func, null, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core.contact_folds import (
    CONTACT_FIGURES,
    CONTACT_TYPES,
    Contact,
    fold_contacts,
    parse_instant,
)
from prefcenter.core.insight_folds import FOLDED_TYPES, Choice, ChoiceKey, FoldEvent, fold_events
from prefcenter.store.models import Event, Identity, Meta, Subject
from prefcenter.store.models_insights import (
    InsightAudience,
    InsightChoice,
    InsightContact,
    InsightContactDay,
    InsightEventDay,
    InsightExpiring,
    InsightRateDay,
    InsightRatePeople,
    InsightWatermark,
)
from prefcenter.store.unit_of_work import format_instant

REACH_TOOK = "insights.reach_took_seconds"  # meta: how long the last recount of the reachable audience took

WATERMARK = "events"
CONTACTS_WATERMARK = "contacts"  # the service rollup's own: contacts and erasures only


def _insert(session: AsyncSession, table):
    return (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert(table)


async def watermark(session: AsyncSession, name: str = WATERMARK) -> int:
    seq = await session.scalar(select(InsightWatermark.seq).where(InsightWatermark.name == name))
    return int(seq or 0)


async def _claim(session: AsyncSession, name: str, after: int, last: int, now: datetime) -> bool:
    """Move watermark ``name`` from ``after`` to ``last`` (compare-and-set); False: another folder moved it
    first, and this one must change nothing."""
    moved = await session.execute(
        update(InsightWatermark)
        .where(InsightWatermark.name == name, InsightWatermark.seq == after)
        .values(seq=last, updated_at=now)
    )
    if moved.rowcount == 0:
        if after != 0:
            return False  # another folder got there first
        claimed = await session.execute(
            _insert(session, InsightWatermark.__table__)
            .values(name=name, seq=last, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        if claimed.rowcount == 0:
            return False
    return True


async def _events_after(
    session: AsyncSession, after: int, limit: int, types: frozenset[str], *, only_these: bool
) -> list[FoldEvent]:
    """Up to ``limit`` events after ``after`` in ``seq`` order, the data of ``types`` decoded (the rest
    left empty); ``only_these``: read no other type."""
    statement = select(
        Event.seq, Event.occurred_at, Event.type, Event.subject_id, Event.touchpoint, Event.site, Event.data
    ).where(Event.seq > after)
    if only_these:
        statement = statement.where(Event.type.in_(sorted(types)))
    rows = (await session.execute(statement.order_by(Event.seq).limit(limit))).all()
    return [
        FoldEvent(
            r.seq,
            r.occurred_at,
            r.type,
            r.subject_id,
            r.touchpoint,
            r.site,
            msgspec.json.decode(r.data) if r.type in types else {},
        )
        for r in rows
    ]


async def fold_after_watermark(session: AsyncSession, now: datetime, limit: int) -> int:
    """Fold up to ``limit`` events after the watermark into the rollups and move the watermark past them,
    in the caller's (write) transaction. Returns how many events were read (0: up to date). A second folder
    racing this one moves the watermark first; this one then changes nothing (compare-and-set)."""
    after = await watermark(session)
    read = await _events_after(session, after, limit, FOLDED_TYPES, only_these=False)
    if not read:
        return 0
    events = [e for e in read if e.type in FOLDED_TYPES]
    subjects = sorted(
        {e.subject_id for e in events if e.subject_id and e.type in ("preference.set", "subject.erased")}
    )
    fold = fold_events(events, await choices_of(session, subjects))
    if not await _claim(session, WATERMARK, after, read[-1].seq, now):
        return 0
    if fold.event_days:
        stmt = _insert(session, InsightEventDay.__table__)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "kind", "touchpoint", "site", "method", "channel", "topic"],
                set_={"count": InsightEventDay.__table__.c.count + stmt.excluded.count},
            ),
            [
                {
                    "day": d,
                    "kind": k,
                    "touchpoint": tp,
                    "site": s,
                    "method": m,
                    "channel": c,
                    "topic": t,
                    "count": n,
                }
                for (d, k, tp, s, m, c, t), n in fold.event_days.items()
            ],
        )
    gone = [key for key, choice in fold.choices.items() if choice is None]
    for start in range(0, len(gone), 500):
        await session.execute(
            delete(InsightChoice).where(
                tuple_(InsightChoice.subject_id, InsightChoice.channel, InsightChoice.topic).in_(
                    gone[start : start + 500]
                )
            )
        )
    kept = [
        {
            "subject_id": s,
            "channel": c,
            "topic": t,
            "status": x.status,
            "touchpoint": x.touchpoint,
            "site": x.site,
            "seq": x.seq,
        }
        for (s, c, t), x in fold.choices.items()
        if x is not None
    ]
    if kept:
        stmt = _insert(session, InsightChoice.__table__)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["subject_id", "channel", "topic"],
                set_={
                    "status": stmt.excluded.status,
                    "touchpoint": stmt.excluded.touchpoint,
                    "site": stmt.excluded.site,
                    "seq": stmt.excluded.seq,
                },
            ),
            kept,
        )
    return len(read)


def _contact(row: InsightContact) -> Contact:
    return Contact(
        row.id,
        row.subject_id,
        parse_instant(row.occurred_at),
        row.channel,
        row.touchpoint,
        row.topic,
        row.first,
        row.resolved,
        row.counted,
        row.handle_seconds,
        row.switch,
    )


async def fold_contacts_after_watermark(session: AsyncSession, now: datetime, limit: int) -> int:
    """Fold up to ``limit`` contacts and erasures after the ``contacts`` watermark into the service rollup
    (core/contact_folds.py) and move that watermark past them, in the caller's transaction; returns how
    many events were read (0: up to date)."""
    after = await watermark(session, CONTACTS_WATERMARK)
    events = await _events_after(session, after, limit, CONTACT_TYPES, only_these=True)
    if not events:
        return 0
    subjects = sorted({e.subject_id for e in events if e.subject_id})
    known: dict[str, Contact] = {}
    for start in range(0, len(subjects), 500):
        chunk = subjects[start : start + 500]
        for row in (
            await session.execute(select(InsightContact).where(InsightContact.subject_id.in_(chunk)))
        ).scalars():
            known[row.id] = _contact(row)
    fold = fold_contacts(events, known)
    if not await _claim(session, CONTACTS_WATERMARK, after, events[-1].seq, now):
        return 0
    if fold.days:
        t = InsightContactDay.__table__
        stmt = _insert(session, t)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "channel", "touchpoint"],
                set_={name: t.c[name] + stmt.excluded[name] for name in CONTACT_FIGURES},
            ),
            [
                {"day": d, "channel": c, "touchpoint": tp, **dict(zip(CONTACT_FIGURES, deltas, strict=True))}
                for (d, c, tp), deltas in fold.days.items()
            ],
        )
    gone = [cid for cid, c in fold.contacts.items() if c is None]
    for start in range(0, len(gone), 500):
        await session.execute(delete(InsightContact).where(InsightContact.id.in_(gone[start : start + 500])))
    kept = [
        {
            "id": c.id,
            "subject_id": c.subject_id,
            "occurred_at": format_instant(c.occurred_at),
            "day": c.day,
            "channel": c.channel,
            "touchpoint": c.touchpoint,
            "topic": c.topic,
            "first": c.first,
            "resolved": c.resolved,
            "counted": c.counted,
            "handle_seconds": c.handle_seconds,
            "switch": c.switch,
        }
        for c in fold.contacts.values()
        if c is not None
    ]
    if kept:
        stmt = _insert(session, InsightContact.__table__)
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"counted": stmt.excluded.counted}), kept
        )
    return len(events)


async def contact_days(session: AsyncSession, start_day: str, end_day: str) -> Sequence[Row]:
    """The service rollup's rows in ``[start_day, end_day)``: (day, channel, touchpoint, <CONTACT_FIGURES>)."""
    t = InsightContactDay.__table__
    return (
        await session.execute(
            select(t.c.day, t.c.channel, t.c.touchpoint, *(t.c[name] for name in CONTACT_FIGURES)).where(
                t.c.day >= start_day, t.c.day < end_day, t.c.contacts > 0
            )
        )
    ).all()


async def contact_people(session: AsyncSession, start_day: str, end_day: str) -> Sequence[Row]:
    """(day, channel, touchpoint, subject_id) of the folded contacts in ``[start_day, end_day)``, each
    once: to count a period's distinct people exactly (the ids never leave the service)."""
    c = InsightContact
    return (
        await session.execute(
            select(c.day, c.channel, c.touchpoint, c.subject_id)
            .where(c.day >= start_day, c.day < end_day)
            .distinct()
        )
    ).all()


async def living_subjects(session: AsyncSession, after: str, limit: int) -> Sequence[Row]:
    """(id, do_not_contact, preferred_channel) of up to ``limit`` people not erased, ids after ``after``,
    in id order: the reachable audience's recount walks everyone a chunk at a time."""
    return (
        await session.execute(
            select(Subject.id, Subject.do_not_contact, Subject.preferred_channel)
            .where(Subject.id > after, Subject.erased_at.is_(None))
            .order_by(Subject.id)
            .limit(limit)
        )
    ).all()


async def identity_kinds(session: AsyncSession, subject_ids: Sequence[str]) -> dict[str, set[str]]:
    """The kinds of identity (email, phone, ...) each of these people has (no value is read)."""
    out: dict[str, set[str]] = {}
    for sid, kind in (
        await session.execute(
            select(Identity.subject_id, Identity.kind).where(Identity.subject_id.in_(subject_ids)).distinct()
        )
    ).all():
        out.setdefault(sid, set()).add(kind)
    return out


async def choices_of(session: AsyncSession, subject_ids: Sequence[str]) -> dict[ChoiceKey, Choice]:
    """The folded current choices of these people per (subject, channel, topic): where each was made."""
    out: dict[ChoiceKey, Choice] = {}
    for start in range(0, len(subject_ids), 500):
        for c in (
            await session.execute(
                select(InsightChoice).where(InsightChoice.subject_id.in_(subject_ids[start : start + 500]))
            )
        ).scalars():
            out[(c.subject_id, c.channel, c.topic)] = Choice(c.status, c.touchpoint, c.site, c.seq)
    return out


async def replace_counts(
    session: AsyncSession,
    now: datetime,
    days: Sequence[str],
    rates: dict[tuple[str, str, str, str], list[int]],
    people: dict[tuple[str, str], int],
    audience: dict[tuple[str, bool], int],
    expiring: dict[str, list[int]],
    took_seconds: float,
) -> None:
    """Replace the consent rates of ``days`` (``(channel, topic, touchpoint, site) -> [subjects, opted_in,
    opted_out]``, and ``(dimension, group) -> people``), the audience (``(preferred channel,
    do_not_contact) -> people``) and the expiring consents (``topic -> [granted, within 30 days, within 90
    days]``) with a new count made at ``now``, which took ``took_seconds``."""
    await session.execute(delete(Meta).where(Meta.key == REACH_TOOK))
    await session.execute(Meta.__table__.insert(), [{"key": REACH_TOOK, "value": f"{took_seconds:.3f}"}])
    for table in (InsightRateDay, InsightRatePeople):
        await session.execute(delete(table).where(table.day.in_(list(days))))
    for table in (InsightAudience, InsightExpiring):
        await session.execute(delete(table))
    people = {("", ""): 0, **people}  # the day's row for all: it says the day was counted
    for day in days:
        await session.execute(
            InsightRateDay.__table__.insert(),
            [
                {
                    "day": day,
                    "channel": c,
                    "topic": t,
                    "touchpoint": tp,
                    "site": site,
                    "subjects": n,
                    "opted_in": i,
                    "opted_out": o,
                    "counted_at": now,
                }
                for (c, t, tp, site), (n, i, o) in rates.items()
            ]
            or [
                # nobody to count (no topic offered, or nobody yet): one empty row still says when
                {
                    "day": day,
                    "channel": "",
                    "topic": "",
                    "touchpoint": "",
                    "site": "",
                    "subjects": 0,
                    "opted_in": 0,
                    "opted_out": 0,
                    "counted_at": now,
                }
            ],
        )
        await session.execute(
            InsightRatePeople.__table__.insert(),
            [{"day": day, "dimension": d, "grp": g, "people": n} for (d, g), n in people.items()],
        )
    if audience:
        await session.execute(
            InsightAudience.__table__.insert(),
            [
                {"preferred_channel": p, "do_not_contact": d, "people": n, "counted_at": now}
                for (p, d), n in audience.items()
            ],
        )
    if expiring:
        await session.execute(
            InsightExpiring.__table__.insert(),
            [
                {
                    "topic": t,
                    "granted": g,
                    "expiring_30_days": in30,
                    "expiring_90_days": in90,
                    "counted_at": now,
                }
                for t, (g, in30, in90) in expiring.items()
            ],
        )


async def audience_rows(session: AsyncSession) -> Sequence[InsightAudience]:
    return (await session.execute(select(InsightAudience))).scalars().all()


async def expiring_rows(session: AsyncSession) -> Sequence[InsightExpiring]:
    return (await session.execute(select(InsightExpiring).order_by(InsightExpiring.topic))).scalars().all()


async def rate_days(session: AsyncSession, start_day: str, end_day: str) -> list[str]:
    """The days in ``[start_day, end_day)`` with a count of the consent rates, in order."""
    t = InsightRatePeople.__table__
    return list(
        (
            await session.execute(
                select(t.c.day)
                .where(t.c.dimension == "", t.c.grp == "", t.c.day >= start_day, t.c.day < end_day)
                .order_by(t.c.day)
            )
        ).scalars()
    )


async def newest_rate_day(session: AsyncSession) -> str | None:
    """The last day with a count of the consent rates (None before the first count)."""
    t = InsightRatePeople.__table__
    return await session.scalar(select(func.max(t.c.day)))


async def rate_counted_at(session: AsyncSession, day: str) -> datetime | None:
    """When the consent rates of ``day`` were counted."""
    t = InsightRateDay.__table__
    return await session.scalar(select(func.max(t.c.counted_at)).where(t.c.day == day))


async def rate_sums(session: AsyncSession, days: Sequence[str], group: str | None) -> Sequence[Row]:
    """The consent rates of ``days`` summed per day and group (``group``: a column of
    ``insight_rate_days``, ``pair`` for "channel/topic", or None): rows (day, group, subjects, opted_in, opted_out); the empty row a count
    with nobody to count leaves is not summed."""
    t = InsightRateDay.__table__
    pair = t.c.channel + "/" + t.c.topic
    key = null() if group is None else pair if group == "pair" else t.c[group]
    return (
        await session.execute(
            select(
                t.c.day,
                key.label("grp"),
                func.sum(t.c.subjects),
                func.sum(t.c.opted_in),
                func.sum(t.c.opted_out),
            )
            .where(t.c.day.in_(list(days)), t.c.channel != "")
            .group_by(t.c.day, *([key] if group else []))
        )
    ).all()


async def rate_people(
    session: AsyncSession, days: Sequence[str], dimension: str
) -> dict[tuple[str, str], int]:
    """(day, group) -> distinct people behind the rate rows of ``days`` grouped by ``dimension`` ("" for
    all)."""
    t = InsightRatePeople.__table__
    rows = await session.execute(
        select(t.c.day, t.c.grp, t.c.people).where(t.c.day.in_(list(days)), t.c.dimension == dimension)
    )
    return {(day, grp): people for day, grp, people in rows}


async def event_counts_by_day(
    session: AsyncSession, start_day: str, end_day: str, kinds: Sequence[str], group: str | None
) -> Sequence[Row]:
    """The event counts of ``kinds`` per day, kind and group in ``[start_day, end_day)``: rows
    (day, kind, group, count)."""
    t = InsightEventDay.__table__
    key = t.c[group] if group else None
    selected = [t.c.day, t.c.kind] + ([key] if key is not None else [])
    return (
        await session.execute(
            select(*selected, func.sum(t.c.count))
            .where(and_(t.c.day >= start_day, t.c.day < end_day, t.c.kind.in_(kinds)))
            .group_by(*selected)
            .order_by(t.c.day)
        )
    ).all()


async def watermark_time(session: AsyncSession, name: str = WATERMARK) -> datetime:
    """When the rollups last folded events (now, when never: there was nothing to fold)."""
    moment = await session.scalar(select(InsightWatermark.updated_at).where(InsightWatermark.name == name))
    return moment or datetime.now(UTC)


async def reach_last_count(session: AsyncSession) -> tuple[datetime | None, float]:
    """When the last recount of the consent rates started, and how many seconds it took."""
    counted_at = await session.scalar(select(func.max(InsightRateDay.counted_at)))
    took = await session.scalar(select(Meta.value).where(Meta.key == REACH_TOOK))
    return counted_at, float(took or 0)
