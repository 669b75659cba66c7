"""The insights rollups against a full recomputation, on random event streams (hypothesis): folding in any
batches, carrying only what the database keeps between them (the current choices), keeps after every batch
the choices recomputed from the stream so far, and day counts equal to a count over the whole stream."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.insight_folds import ONE_CLICK_REASON, Choice, FoldEvent, fold_events, latest_choice
from prefcenter.core.insight_periods import period_start, periods, quantile

SUBJECTS = ["s1", "s2", "s3", "s4"]
DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]

step = st.one_of(
    st.tuples(
        st.just("preference.set"),
        st.sampled_from(SUBJECTS),
        st.sampled_from(["email", "sms"]),
        st.sampled_from(["news", "offers"]),
        st.sampled_from(["opted_in", "opted_out"]),
        st.sampled_from(["web", "support", None]),
        st.sampled_from(["shop", None]),
    ),
    st.tuples(st.just("subject.erased"), st.sampled_from(SUBJECTS)),
    st.tuples(
        st.sampled_from(["consent.granted", "consent.withdrawn"]),
        st.sampled_from(SUBJECTS),
        st.sampled_from(["checkbox", "verbal"]),
        st.sampled_from(["web", "pos"]),
    ),
)


@st.composite
def streams(draw) -> list[FoldEvent]:
    steps = draw(st.lists(step, max_size=40))
    day_of = sorted(draw(st.lists(st.sampled_from(DAYS), min_size=len(steps), max_size=len(steps))))
    events, erased = [], set()
    for seq, (s, day) in enumerate(zip(steps, day_of, strict=True), start=1):
        if s[1] in erased:
            continue
        at = f"{day}T10:00:{seq % 60:02d}.000000Z"
        if s[0] == "preference.set":
            _, sid, channel, topic, status, touchpoint, site = s
            reason = ONE_CLICK_REASON if touchpoint is None else None
            data = {"channel": channel, "topic": topic, "status": status, "previous": None, "reason": reason}
            events.append(FoldEvent(seq, at, "preference.set", sid, touchpoint, site, data))
        elif s[0] == "subject.erased":
            erased.add(s[1])
            events.append(FoldEvent(seq, at, "subject.erased", s[1], None, None, {}))
        else:
            events.append(FoldEvent(seq, at, s[0], s[1], s[3], None, {"topic": "t", "method": s[2]}))
    return events


def recompute(events: list[FoldEvent]) -> dict:
    """Each living person's latest choice per (channel, topic) straight from the stream, erased left out."""
    latest: dict[tuple[str, str, str], Choice] = {}
    for e in events:
        if e.type == "preference.set":
            key = (e.subject_id, e.data["channel"], e.data["topic"])
            latest[key] = Choice(e.data["status"], e.touchpoint or "", e.site or "", e.seq)
        elif e.type in ("consent.granted", "consent.withdrawn"):
            status = "opted_in" if e.type == "consent.granted" else "opted_out"
            latest[(e.subject_id, "", e.data["topic"])] = Choice(
                status, e.touchpoint or "", e.site or "", e.seq
            )
        elif e.type == "subject.erased":
            latest = {k: v for k, v in latest.items() if k[0] != e.subject_id}
    return latest


def count_days(events: list[FoldEvent]) -> Counter:
    """The day counts straight from the stream."""
    out: Counter = Counter()
    for e in events:
        tp, site, day = e.touchpoint or "", e.site or "", e.occurred_at[:10]
        if e.type == "preference.set":
            method = "one_click" if e.data.get("reason") == ONE_CLICK_REASON else ""
            out[(day, e.data["status"], tp, site, method, e.data["channel"], e.data["topic"])] += 1
        elif e.type.startswith("consent."):
            kind = e.type.removeprefix("consent.")
            out[(day, kind, tp, site, e.data["method"], "", e.data["topic"])] += 1
    return out


@settings(max_examples=300, deadline=None)
@given(events=streams(), cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=5))
def test_rollups_in_any_batches_equal_a_full_recomputation(events, cuts):
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    stored_choices: dict = {}  # what insight_choices holds between batches
    counts: Counter = Counter()  # insight_event_days
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        batch = events[lo:hi]
        names = {e.subject_id for e in batch}
        known = {k: v for k, v in stored_choices.items() if k[0] in names}  # what the sweep loads
        fold = fold_events(batch, known)
        for key, choice in fold.choices.items():
            if choice is None:
                stored_choices.pop(key, None)
            else:
                stored_choices[key] = choice
        counts.update(fold.event_days)
        assert stored_choices == recompute(events[:hi])
    assert +counts == count_days(events)


def test_the_latest_choice_of_a_pair_says_where_it_was_made():
    web, pos = Choice("opted_in", "web", "", 3), Choice("opted_out", "pos", "", 9)
    assert latest_choice(web, None, pos) == pos and latest_choice(pos, web) == pos
    assert latest_choice(None, None) is None


@given(st.dates(), st.sampled_from(["day", "week", "month"]))
def test_a_day_lies_in_its_period(day, interval):
    first = period_start(day, interval)
    assert first <= day
    spans = periods(first, day, interval)
    assert all(a < b for a, b in spans) and all(
        b == c for (_, b), (c, _) in zip(spans, spans[1:], strict=False)
    )
    if interval == "week":
        assert first.weekday() == 0


def test_quantiles():
    assert quantile([], 0.5) is None
    assert quantile([3, 1, 2], 0.5) == 2
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile(list(range(11)), 0.9) == 9
