"""Consent checks: resolve subjects, read their projections in bulk, and let ``decide`` answer each item."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from prefcenter.checks.campaign import CampaignDecider, campaign_keys
from prefcenter.checks.schemas import (
    CheckEvidence,
    CheckItemError,
    CheckResult,
    ConsentCheckRead,
)
from prefcenter.checks.states import build_states
from prefcenter.checks.subject_refs import parse_subject_ref
from prefcenter.core.decisions import ConsentDecision, SubjectState, decide
from prefcenter.errors import DomainError, InvalidInput
from prefcenter.store.projection_rows import FetchedRows, ProjectionReader, SubjectRef

# An identity on the erasure suppression list with no live subject: ``decide`` answers ``erased``.
_SUPPRESSED = SubjectState(subject_id="", erased=True)
_SUPPRESSED_KEY = (True, False, False, None, None, None)  # its campaign key


def evidence_of(decision: ConsentDecision) -> CheckEvidence:
    return CheckEvidence(decision.consent_id, decision.notice_version, decision.preference)


def _item_error(exc: DomainError) -> CheckItemError:
    return CheckItemError(type=exc.slug, title=exc.title, detail=exc.detail)


PIECE = 2000  # items read and decided together inside one call (one IN (...) read per table)


def _uniform(items: Sequence[tuple[str, str | None, str | None]], channel, topic) -> bool:
    """Every item asks the batch's one (channel, topic) question: a campaign."""
    return all(
        (item_channel or channel) == channel and (item_topic or topic) == topic
        for _subject, item_channel, item_topic in items
    )


def _good(refs: list) -> list[SubjectRef]:
    return [r for r in refs if isinstance(r, SubjectRef)]


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
        uniform = _uniform(items, channel, topic)
        catalog = await self.reader.catalog()
        fetch_channel, fetch_topic = (channel, topic) if uniform else (None, None)
        # Pipelined by piece: the read of piece i+1 (a worker thread on SQLite, which releases the GIL while
        # it queries; a round trip on PostgreSQL) runs while piece i is decided on the event loop.
        pieces = [items[i : i + PIECE] for i in range(0, len(items), PIECE)] or [items]
        results: list[CheckResult] = []
        with _no_gc_pauses(len(pieces[0]) > 256):
            refs = self._refs(pieces[0])
        pending = asyncio.ensure_future(self.reader.fetch(_good(refs), fetch_channel, fetch_topic))
        try:
            for number, piece in enumerate(pieces):
                rows = await pending
                piece_refs = refs
                with _no_gc_pauses(len(piece) > 256):  # the synchronous part: never across an await
                    if number + 1 < len(pieces):
                        refs = self._refs(pieces[number + 1])
                        pending = asyncio.ensure_future(
                            self.reader.fetch(_good(refs), fetch_channel, fetch_topic)
                        )
                    results.extend(
                        self._decide_piece(
                            piece,
                            piece_refs,
                            rows,
                            catalog,
                            channel,
                            topic,
                            uniform,
                            start_index + len(results),
                        )
                    )
        finally:
            if not pending.done():
                pending.cancel()
        return results

    def decide_items_sync(
        self,
        items: Sequence[tuple[str, str | None, str | None]],
        channel: str | None = None,
        topic: str | None = None,
        start_index: int = 0,
    ) -> list[CheckResult]:
        """``decide_items`` for a synchronous reader (``SqliteProjectionReader``): a check worker process
        (checks/worker_pool.py) or a worker thread. The same reads and the same ``_decide_piece``."""
        reader = self.reader
        uniform = _uniform(items, channel, topic)
        catalog = reader.catalog_sync()
        fetch_channel, fetch_topic = (channel, topic) if uniform else (None, None)
        results: list[CheckResult] = []
        for start in range(0, max(len(items), 1), PIECE):
            piece = items[start : start + PIECE]
            with _no_gc_pauses(len(piece) > 256):
                refs = self._refs(piece)
                rows = reader.fetch_sync(_good(refs), fetch_channel, fetch_topic)
                results.extend(
                    self._decide_piece(
                        piece, refs, rows, catalog, channel, topic, uniform, start_index + len(results)
                    )
                )
        return results

    def _decide_piece(
        self, piece, refs, rows, catalog, channel, topic, uniform: bool, start_index: int
    ) -> list[CheckResult]:
        if uniform and channel is not None and topic is not None:
            return self._decide_campaign(piece, refs, rows, catalog, channel, topic, start_index)
        return self._decide_all(piece, refs, rows, catalog, channel, topic, start_index)

    def _refs(self, items) -> list[SubjectRef | DomainError]:
        pepper = self.pepper
        refs: list[SubjectRef | DomainError] = []
        for subject, _channel, _topic in items:
            try:
                refs.append(parse_subject_ref(subject, pepper))
            except DomainError as exc:
                refs.append(exc)
        return refs

    def _decide_campaign(self, items, refs, rows, catalog, channel, topic, start_index) -> list[CheckResult]:
        """Every item asks (channel, topic): ``decide`` once per distinct reduced state (checks/campaign.py)."""
        keys = campaign_keys(
            rows.subjects.values(), rows.preferences, rows.consents, channel, topic, self.now
        )
        decider = CampaignDecider(channel, catalog.topics.get(topic), self.now, catalog.channels)
        verdict = decider.verdict
        found = rows.subjects.get
        suppressed = rows.suppressed
        results = []
        append = results.append
        position = start_index
        for (subject, _c, _t), ref in zip(items, refs, strict=True):
            if isinstance(ref, DomainError):
                append(CheckResult(position, subject, channel, topic, error=_item_error(ref)))
                position += 1
                continue
            row = found(ref)
            if row is not None:
                subject_id = row[0]
                key, consent_id, notice_version = keys[subject_id]
            else:
                subject_id = consent_id = notice_version = None
                # on the erasure list: the same state as _SUPPRESSED (erased, nothing else)
                key = _SUPPRESSED_KEY if ref.kind == "identity" and ref.key in suppressed else None
            allowed, reason, cites, preference = verdict(key)
            evidence = (
                CheckEvidence(consent_id, notice_version, preference)
                if cites
                else CheckEvidence(None, None, preference)
            )
            append(CheckResult(position, subject, channel, topic, subject_id, allowed, reason, evidence))
            position += 1
        return results

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
    """Parsing, reading and deciding a piece allocates thousands of short-lived containers (references, rows,
    states, results), which set off the cyclic GC over the whole heap again and again (measured: ~9 us per
    subject on a 1M-row server; a full collection of a server process's heap took ~90 ms here, and the
    bigger app since the refactor collected more often); none of them form cycles, so pause it meanwhile
    (only around synchronous code: never across an ``await``, where other requests run)."""
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
