"""Folding ``interaction.recorded`` and ``subject.erased`` events into the service rollup: pure, no I/O
(the insights sweep reads and writes around it, in the same transaction as the watermark).

The rule the rollup keeps exact: after folding every event up to ``seq`` in order, in any number of
batches, the rollup's figures per (day, channel, touchpoint) equal what a full pass over the contacts still
stored gives (the erased people's contacts are deleted, so they leave the figures too):

- ``contacts``; ``handled`` and ``handle_seconds`` (AHT = handle_seconds / handled);
- ``first_contacts`` (continuing none) and ``resolved_first``: those resolved and not followed by another
  contact of the same person on the same topic (no topic pairs with no topic) within 7 days, as far as the
  folded contacts show: a resolved first contact counts when folded and leaves the count when a follow-up
  arrives within its window, so the count is settled once the 7 days have passed;
- ``channel_switches``: contacts continuing one on another channel;
- ``people``: the distinct people with a contact that day in that group (a period's people lie between the
  largest day's figure and the sum of the days'; the reader counts exactly only when that leaves the
  minimum group size undecided).

tests/core/test_contact_folds.py checks it against a full recomputation on random streams (hypothesis).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from prefcenter.core.insight_folds import FoldEvent

FCR_WINDOW = timedelta(days=7)
RECORDED = "interaction.recorded"
CONTACT_TYPES = frozenset({RECORDED, "subject.erased"})

ContactDayKey = tuple[str, str, str]  # day, channel, touchpoint
# the figures of a contact day, in this order (the rollup's columns)
CONTACT_FIGURES = (
    "contacts",
    "handled",
    "handle_seconds",
    "first_contacts",
    "resolved_first",
    "channel_switches",
    "people",
)


@dataclass(frozen=True, slots=True)
class Contact:
    """One folded contact as the rollup keeps it: ids and vocabulary words, no personal data."""

    id: str
    subject_id: str
    occurred_at: datetime
    channel: str
    touchpoint: str
    topic: str  # "" for no topic
    first: bool  # continues no other contact
    resolved: bool  # outcome "resolved"
    counted: bool  # counted in its day's resolved_first now (first, resolved, not followed so far)
    handle_seconds: int | None
    switch: bool  # continues a contact on another channel

    @property
    def day(self) -> str:
        return self.occurred_at.strftime("%Y-%m-%d")

    @property
    def key(self) -> ContactDayKey:
        return (self.day, self.channel, self.touchpoint)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class ContactFold:
    """What a batch changes: the deltas per contact day (in ``CONTACT_FIGURES`` order) and the contacts
    added or changed (``None``: gone, the person was erased)."""

    days: dict[ContactDayKey, list[int]] = field(default_factory=dict)
    contacts: dict[str, Contact | None] = field(default_factory=dict)

    def _add(self, key: ContactDayKey, figure: str, by: int) -> None:
        self.days.setdefault(key, [0] * len(CONTACT_FIGURES))[CONTACT_FIGURES.index(figure)] += by

    def _count(self, c: Contact, sign: int, *, new_person: bool) -> None:
        self._add(c.key, "contacts", sign)
        if c.handle_seconds is not None:
            self._add(c.key, "handled", sign)
            self._add(c.key, "handle_seconds", sign * c.handle_seconds)
        self._add(c.key, "first_contacts", sign * c.first)
        self._add(c.key, "resolved_first", sign * c.counted)
        self._add(c.key, "channel_switches", sign * c.switch)
        self._add(c.key, "people", sign * new_person)


def fold_contacts(events: Iterable[FoldEvent], known: dict[str, Contact]) -> ContactFold:
    """Fold ``events`` (in ``seq`` order) onto ``known``: every folded contact of the people the events
    name, by id (updated in place). Events of other types are passed over."""
    fold = ContactFold()
    by_subject: dict[str, list[str]] = {}
    for c in known.values():
        by_subject.setdefault(c.subject_id, []).append(c.id)
    for e in events:
        if not e.subject_id:
            continue
        if e.type == RECORDED:
            d = e.data
            at = parse_instant(e.occurred_at)
            topic = str(d.get("topic") or "")
            continues = d.get("continues")
            earlier = known.get(continues) if continues else None
            mine = [known[i] for i in by_subject.get(e.subject_id, ())]
            same_topic = [x for x in mine if x.topic == topic]
            followed = any(at < x.occurred_at <= at + FCR_WINDOW for x in same_topic)
            new = Contact(
                id=str(d["interaction_id"]),
                subject_id=e.subject_id,
                occurred_at=at,
                channel=str(d["channel"]),
                touchpoint=e.touchpoint or "",
                topic=topic,
                first=continues is None,
                resolved=d.get("outcome") == "resolved",
                counted=False,
                handle_seconds=d.get("handle_seconds"),
                switch=earlier is not None and earlier.channel != str(d["channel"]),
            )
            new = replace(new, counted=new.first and new.resolved and not followed)
            for x in same_topic:  # an earlier resolved first contact this one follows within its window
                if x.counted and x.occurred_at < at <= x.occurred_at + FCR_WINDOW:
                    known[x.id] = fold.contacts[x.id] = replace(x, counted=False)
                    fold._add(x.key, "resolved_first", -1)
            new_person = not any(x.key == new.key for x in mine)
            fold._count(new, +1, new_person=new_person)
            known[new.id] = fold.contacts[new.id] = new
            by_subject.setdefault(e.subject_id, []).append(new.id)
        elif e.type == "subject.erased":
            seen: set[ContactDayKey] = set()
            for cid in by_subject.pop(e.subject_id, ()):
                x = known.pop(cid, None)
                if x is None:
                    continue
                fold._count(x, -1, new_person=x.key not in seen)
                seen.add(x.key)
                fold.contacts[cid] = None
    fold.days = {k: v for k, v in fold.days.items() if any(v)}
    return fold
