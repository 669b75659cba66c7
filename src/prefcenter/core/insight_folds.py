"""Folding audit events into the insights rollups: pure, no I/O (the sweep reads and writes around it).

The rule the rollups keep exact: after folding every event up to ``seq`` in order, in any number of
batches, the day counts per (day, kind, touchpoint, site, method, channel, topic) equal a count over the
whole stream, and the choices kept are each living person's latest ``preference.set`` per (channel,
topic) and latest consent grant or withdrawal per topic, with the touchpoint and site it was made at (the
recount groups consent rates by the latest choice of a pair), people erased left out. tests/core/test_insight_folds.py checks both against a full recomputation on random event
streams (hypothesis).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

ChoiceKey = tuple[str, str, str]  # subject_id, channel, topic
EventDayKey = tuple[str, str, str, str, str, str, str]  # day, kind, touchpoint, site, method, channel, topic

CONSENT_KINDS = {
    "consent.granted": "granted",
    "consent.pending_confirmation": "pending_confirmation",
    "consent.confirmed": "confirmed",
    "consent.withdrawn": "withdrawn",
    "consent.expired": "expired",
}
ONE_CLICK_REASON = "one-click unsubscribe"
FOLDED_TYPES = frozenset({"preference.set", "subject.erased", "gpc.honoured", *CONSENT_KINDS})


@dataclass(frozen=True, slots=True)
class FoldEvent:
    seq: int
    occurred_at: str  # RFC 3339 UTC, as the log stores it: the day is its first ten characters
    type: str
    subject_id: str | None
    touchpoint: str | None
    site: str | None
    data: dict


CONSENT_CHOICE = ""  # the channel of a consent choice's key: a consent covers the topic (its channels)
CONSENT_CHOICES = {  # the consent events that are the person's choice, and which way
    "consent.granted": "opted_in",
    "consent.pending_confirmation": "opted_in",
    "consent.withdrawn": "opted_out",
}


@dataclass(frozen=True, slots=True)
class Choice:
    status: str  # opted_in | opted_out
    touchpoint: str
    site: str
    seq: int = 0  # the event that made it: of a pair's choices, the latest says where it was made


@dataclass
class Fold:
    """What a batch of events changes: the event counts, and the pairs whose current choice changed
    (``None``: gone, the person was erased)."""

    event_days: Counter[EventDayKey] = field(default_factory=Counter)
    choices: dict[ChoiceKey, Choice | None] = field(default_factory=dict)


def latest_choice(*choices: Choice | None) -> Choice | None:
    """Of a pair's choices (its channel's preference, the topic's on every channel, the topic's consent),
    the one made last: where the person's current choice for the pair was made."""
    made = [c for c in choices if c is not None]
    return max(made, key=lambda c: c.seq) if made else None


def fold_events(events: Iterable[FoldEvent], known: dict[ChoiceKey, Choice]) -> Fold:
    """Fold ``events`` (in ``seq`` order) onto ``known``: the current choices of every person the events
    name (updated in place). Events of other types are passed over."""
    fold = Fold()
    by_subject: dict[str, set[ChoiceKey]] = {}
    for key in known:
        by_subject.setdefault(key[0], set()).add(key)
    for e in events:
        day = e.occurred_at[:10]
        touchpoint, site = e.touchpoint or "", e.site or ""
        if e.type == "preference.set" and e.subject_id:
            channel, topic, status = str(e.data["channel"]), str(e.data["topic"]), str(e.data["status"])
            key = (e.subject_id, channel, topic)
            known[key] = fold.choices[key] = Choice(status, touchpoint, site, e.seq)
            by_subject.setdefault(e.subject_id, set()).add(key)
            method = "one_click" if e.data.get("reason") == ONE_CLICK_REASON else ""
            fold.event_days[(day, status, touchpoint, site, method, channel, topic)] += 1
        elif e.type == "subject.erased" and e.subject_id:
            for key in by_subject.pop(e.subject_id, ()):
                known.pop(key, None)
                fold.choices[key] = None
        elif e.type in CONSENT_KINDS:
            if e.type in CONSENT_CHOICES and e.subject_id:
                key = (e.subject_id, CONSENT_CHOICE, str(e.data.get("topic") or ""))
                known[key] = fold.choices[key] = Choice(CONSENT_CHOICES[e.type], touchpoint, site, e.seq)
                by_subject.setdefault(e.subject_id, set()).add(key)
            kind = CONSENT_KINDS[e.type]
            method = str(e.data.get("method") or "")
            fold.event_days[(day, kind, touchpoint, site, method, "", str(e.data.get("topic") or ""))] += 1
        elif e.type == "gpc.honoured":
            fold.event_days[(day, "gpc", touchpoint, site, "gpc", "", "")] += 1
    return fold
