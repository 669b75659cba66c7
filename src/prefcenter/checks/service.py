"""Consent checks: resolve subjects, read their projections in bulk, and let ``decide`` answer each item."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from prefcenter.checks.read_path import (
    FetchedRows,
    ProjectionReader,
    SubjectRef,
    build_states,
    parse_subject_ref,
    reader_for,
)
from prefcenter.checks.schemas import (
    CheckEvidence,
    CheckItemError,
    CheckResult,
    ConsentCheckRead,
)
from prefcenter.core.decisions import ConsentDecision, SubjectState, decide
from prefcenter.errors import DomainError, InvalidInput

# An identity on the erasure suppression list with no live subject: ``decide`` answers ``erased``.
_SUPPRESSED = SubjectState(subject_id="", erased=True)

_readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def projection_reader(db) -> ProjectionReader:
    """One reader per ``Database`` (its connections close with it)."""
    reader = _readers.get(db)
    if reader is None:
        reader = reader_for(db)
        _readers[db] = reader
        weakref.finalize(db, reader.close)
    return reader


def evidence_of(decision: ConsentDecision) -> CheckEvidence:
    return CheckEvidence(decision.consent_id, decision.notice_version, decision.preference)


def _item_error(exc: DomainError) -> CheckItemError:
    return CheckItemError(type=exc.slug, title=exc.title, detail=exc.detail)


class CheckRun:
    """Decide a list of ``(subject, channel, topic)`` items against one snapshot of the projections."""

    def __init__(self, reader: ProjectionReader, pepper: bytes, now: datetime) -> None:
        self.reader = reader
        self.pepper = pepper
        self.now = now

    async def decide_items(
        self,
        items: Sequence[tuple[str, str | None, str | None]],
        channel: str | None = None,
        topic: str | None = None,
        start_index: int = 0,
    ) -> list[CheckResult]:
        """Answer every item in input order; a bad item gets an ``error``, never a failed batch.

        ``channel``/``topic`` are the defaults for items without their own (a campaign: one question)."""
        pepper = self.pepper
        refs: list[SubjectRef | DomainError] = []
        uniform = True
        for subject, item_channel, item_topic in items:
            if (item_channel or channel) != channel or (item_topic or topic) != topic:
                uniform = False
            try:
                refs.append(parse_subject_ref(subject, pepper))
            except DomainError as exc:
                refs.append(exc)
        good = [r for r in refs if isinstance(r, SubjectRef)]
        catalog = await self.reader.catalog()
        rows = await self.reader.fetch(good, channel, topic) if uniform else await self.reader.fetch(good)
        with _no_gc_pauses(len(items) > 256):
            return self._decide_all(items, refs, rows, catalog, channel, topic, start_index)

    def _decide_all(self, items, refs, rows, catalog, channel, topic, start_index) -> list[CheckResult]:
        states = build_states(rows.subjects.values(), rows.preferences, rows.consents)
        topics, known_channels, now = catalog.topics, catalog.channels, self.now
        results = []
        for index, ((subject, item_channel, item_topic), ref) in enumerate(zip(items, refs, strict=True)):
            item_channel = item_channel or channel
            item_topic = item_topic or topic
            position = start_index + index
            if isinstance(ref, DomainError):
                results.append(
                    CheckResult(position, subject, item_channel, item_topic, error=_item_error(ref))
                )
                continue
            if item_channel is None or item_topic is None:
                error = _item_error(InvalidInput("each item needs a channel and a topic (or the batch's)"))
                results.append(CheckResult(position, subject, item_channel, item_topic, error=error))
                continue
            state, subject_id = _state_for(ref, rows, states)
            decision = decide(state, item_channel, topics.get(item_topic), now, known_channels=known_channels)
            results.append(
                CheckResult(
                    position,
                    subject,
                    item_channel,
                    item_topic,
                    subject_id,
                    decision.allowed,
                    decision.reason.value,
                    evidence_of(decision),
                )
            )
        return results


@contextmanager
def _no_gc_pauses(active: bool) -> Iterator[None]:
    """Building thousands of short-lived states triggers the cyclic GC over the whole heap again and again
    (measured: ~9 us per subject on a 1M-row server); none of them form cycles, so pause it meanwhile."""
    if not active or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _state_for(
    ref: SubjectRef, rows: FetchedRows, states: dict[str, SubjectState]
) -> tuple[SubjectState | None, str | None]:
    row = rows.subjects.get(ref)
    if row is not None:
        return states[row[0]], row[0]
    if ref.kind == "identity" and ref.key in rows.suppressed:
        return _SUPPRESSED, None
    return None, None


async def check_one(
    reader: ProjectionReader, pepper: bytes, now: datetime, subject: str, channel: str, topic: str
) -> ConsentCheckRead:
    """The single check: a malformed subject reference is a 422, an unknown one is a decision.

    The lean path of ``CheckRun`` for one item: one read (``reader.single``), the same ``build_states``
    and ``decide``."""
    try:
        ref = parse_subject_ref(subject, pepper)
    except DomainError as exc:
        raise InvalidInput(exc.detail) from None
    catalog, rows = await reader.single(ref, channel, topic)
    states = build_states(rows.subjects.values(), rows.preferences, rows.consents)
    state, subject_id = _state_for(ref, rows, states)
    decision = decide(state, channel, catalog.topics.get(topic), now, known_channels=catalog.channels)
    return ConsentCheckRead(
        subject=subject,
        subject_id=subject_id,
        channel=channel,
        topic=topic,
        allowed=decision.allowed,
        reason=decision.reason.value,
        evidence=evidence_of(decision),
    )
