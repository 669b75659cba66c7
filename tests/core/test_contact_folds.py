"""The service rollup against a full recomputation, on random streams of contacts and erasures
(hypothesis): folding in any batches, carrying only what the database keeps between them (the folded
contacts), gives per (day, channel, touchpoint) what a pass over the contacts still stored gives, FCR's
7-day follow-up window included, whatever order the contacts' times come in."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.contact_folds import CONTACT_FIGURES, FCR_WINDOW, Contact, fold_contacts
from prefcenter.core.insight_folds import FoldEvent

SUBJECTS = ["s1", "s2", "s3"]
START = datetime(2026, 3, 1, tzinfo=UTC)

contact = st.tuples(
    st.just("contact"),
    st.sampled_from(SUBJECTS),
    st.builds(  # hours after START, often whole days apart: windows overlap, lapse and end exactly
        lambda days, hours: days * 24 + hours, st.integers(0, 16), st.sampled_from([0, 0, 1, 23])
    ),
    st.sampled_from(["phone", "chat"]),
    st.sampled_from(["support", "pos"]),
    st.sampled_from(["billing", None]),
    st.sampled_from(["resolved", "follow_up", None]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    st.booleans(),  # continues an earlier contact of the person, when there is one
)
erase = st.tuples(st.just("erase"), st.sampled_from(SUBJECTS))
step = st.sampled_from([False] * 11 + [True]).flatmap(lambda erasing: erase if erasing else contact)


@st.composite
def streams(draw) -> list[FoldEvent]:
    events: list[FoldEvent] = []
    erased: set[str] = set()
    theirs: dict[str, list[str]] = defaultdict(list)
    for seq, s in enumerate(draw(st.lists(step, min_size=10, max_size=40)), start=1):
        if s[1] in erased:
            continue
        if s[0] == "erase":
            erased.add(s[1])
            events.append(
                FoldEvent(seq, "2026-04-01T00:00:00.000000Z", "subject.erased", s[1], None, None, {})
            )
            continue
        _, sid, hours, channel, touchpoint, topic, outcome, seconds, continuing = s
        at = (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        cid = f"i{seq}"
        data = {
            "interaction_id": cid,
            "channel": channel,
            "topic": topic,
            "outcome": outcome,
            "handle_seconds": seconds,
            "continues": draw(st.sampled_from(theirs[sid])) if continuing and theirs[sid] else None,
        }
        theirs[sid].append(cid)
        events.append(FoldEvent(seq, at, "interaction.recorded", sid, touchpoint, None, data))
    return events


def recompute(events: list[FoldEvent]) -> dict[tuple[str, str, str], Counter]:
    """The figures per (day, channel, touchpoint) from the contacts still stored (erasure deletes them)."""
    stored: dict[str, FoldEvent] = {}
    for e in events:
        if e.type == "interaction.recorded":
            stored[e.data["interaction_id"]] = e
        else:
            stored = {k: v for k, v in stored.items() if v.subject_id != e.subject_id}

    def at(e: FoldEvent) -> datetime:
        return datetime.fromisoformat(e.occurred_at.replace("Z", "+00:00"))

    out: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    people: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in stored.values():
        d = e.data
        key = (e.occurred_at[:10], d["channel"], e.touchpoint)
        figures = out[key]
        figures["contacts"] += 1
        if d["handle_seconds"] is not None:
            figures["handled"] += 1
            figures["handle_seconds"] += d["handle_seconds"]
        if d["continues"] is None:
            figures["first_contacts"] += 1
            followed = any(
                o.subject_id == e.subject_id
                and (o.data["topic"] or "") == (d["topic"] or "")
                and at(e) < at(o) <= at(e) + FCR_WINDOW
                for o in stored.values()
            )
            figures["resolved_first"] += d["outcome"] == "resolved" and not followed
        elif stored[d["continues"]].data["channel"] != d["channel"]:
            figures["channel_switches"] += 1
        people[key].add(e.subject_id)
    for key, who in people.items():
        out[key]["people"] = len(who)
    return {k: +v for k, v in out.items()}


@settings(max_examples=300, deadline=None)
@given(events=streams(), cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=5))
def test_the_service_rollup_in_any_batches_equals_a_full_recomputation(events, cuts):
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    stored: dict[str, Contact] = {}  # what insight_contacts holds between batches
    days: dict[tuple[str, str, str], Counter] = defaultdict(Counter)  # insight_contact_days
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        batch = events[lo:hi]
        names = {e.subject_id for e in batch}
        known = {k: v for k, v in stored.items() if v.subject_id in names}  # what the sweep loads
        fold = fold_contacts(batch, known)
        for cid, c in fold.contacts.items():
            if c is None:
                stored.pop(cid, None)
            else:
                stored[cid] = c
        for key, deltas in fold.days.items():
            days[key].update(dict(zip(CONTACT_FIGURES, deltas, strict=True)))
    folded = {k: +v for k, v in days.items() if +v}
    assert all(n >= 0 for v in days.values() for n in v.values())
    assert folded == recompute(events)
