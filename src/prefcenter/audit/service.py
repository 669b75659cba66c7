"""Reading and verifying the audit log."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.audit import subject_view
from prefcenter.audit.schemas import EventPage, EventRead, LogEventPage, LogEventRead
from prefcenter.core.audit_chain import GENESIS_HASH, ChainEvent, StoredEvent, verify_chain, verify_checkpoint
from prefcenter.core.cursors import decode_cursor, encode_cursor
from prefcenter.errors import InvalidInput
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Checkpoint, Event
from prefcenter.store.unit_of_work import format_instant

MAX_PAGE = 500


def seq_cursor(seq: int) -> str:
    return encode_cursor(f"seq:{seq}")


def _seq(text: str) -> int:
    kind, _, value = text.partition(":")
    if kind != "seq":
        raise ValueError
    return int(value)


def cursor_seq(cursor: str) -> int:
    return decode_cursor(cursor, _seq)


def event_read(e: Event) -> EventRead:
    return EventRead(
        seq=e.seq,
        occurred_at=e.occurred_at,
        type=e.type,
        actor_type=e.actor_type,
        actor_id=e.actor_id,
        touchpoint=e.touchpoint,
        data=msgspec.json.decode(e.data),
        hash=e.hash,
    )


async def subject_history(
    session: AsyncSession, subject_id: str, cursor: str | None, limit: int, *, for_subject: bool = False
) -> EventPage:
    """A page of the subject's events; ``for_subject``: only what the subject may see (``subject_view``)."""
    after = cursor_seq(cursor) if cursor else 0
    statement = select(Event).where(Event.subject_id == subject_id, Event.seq > after)
    if for_subject:
        statement = statement.where(Event.type.in_(subject_view.visible_types()))
    rows = (await session.execute(statement.order_by(Event.seq).limit(limit + 1))).scalars().all()
    items = [event_read(e) for e in rows[:limit]]
    if for_subject:
        items = [seen for seen in map(subject_view.for_subject, items) if seen is not None]
    next_cursor = seq_cursor(items[-1].seq) if len(rows) > limit else None
    return EventPage(items=items, next_cursor=next_cursor)


ACTOR_PATTERN = r"^(customer|agent|client|staff|system)(:[^\x00-\x1f\x7f]{1,100})?(?!\n)$"
"""An actor filter: a type (``customer``, ``system``, ...) or a type and id (``client:<id>``, ``staff:<id>``)."""
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(?!\n)$"
INSTANT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?(?!\n)$"
"""RFC 3339 with an offset (``2026-12-01T10:00:00Z``) or a date (midnight UTC)."""


@dataclass(frozen=True)
class LogFilter:
    """What ``search_log`` selects; every part is optional. ``since`` inclusive, ``until`` exclusive."""

    actor: str | None = None
    type: str | None = None
    subject_id: str | None = None
    since: str | None = None
    until: str | None = None


def parse_instant(text: str, name: str) -> str:
    """An RFC 3339 instant or a date as the log stores instants (UTC, microseconds), for comparison."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} is not a date or an RFC 3339 time: {text}") from None
    if moment.tzinfo is None:  # a date alone
        moment = moment.replace(tzinfo=UTC)
    return format_instant(moment)


def log_event_read(e: Event) -> LogEventRead:
    return LogEventRead(
        seq=e.seq,
        occurred_at=e.occurred_at,
        subject_id=e.subject_id,
        type=e.type,
        actor_type=e.actor_type,
        actor_id=e.actor_id,
        touchpoint=e.touchpoint,
        data=msgspec.json.decode(e.data),
        has_sealed=e.sealed is not None,
        hash=e.hash,
    )


async def search_log(session: AsyncSession, where: LogFilter, cursor: str | None, limit: int) -> LogEventPage:
    """A page of the whole log filtered by actor, type, subject and time, newest first. Sealed fields are
    never decrypted (nor returned). Indexes: by actor, by type, by subject, each with ``seq``."""
    statement = select(Event)
    if cursor:
        statement = statement.where(Event.seq < cursor_seq(cursor))
    if where.actor is not None:
        actor_type, has_id, actor_id = where.actor.partition(":")
        statement = statement.where(Event.actor_type == actor_type)
        if has_id:
            statement = statement.where(Event.actor_id == actor_id)
    if where.type is not None:
        statement = statement.where(Event.type == where.type)
    if where.subject_id is not None:
        statement = statement.where(Event.subject_id == where.subject_id)
    if where.since is not None:
        statement = statement.where(Event.occurred_at >= parse_instant(where.since, "from"))
    if where.until is not None:
        statement = statement.where(Event.occurred_at < parse_instant(where.until, "to"))
    rows = (await session.execute(statement.order_by(Event.seq.desc()).limit(limit + 1))).scalars().all()
    items = [log_event_read(e) for e in rows[:limit]]
    return LogEventPage(items=items, next_cursor=seq_cursor(items[-1].seq) if len(rows) > limit else None)


def stored_event(e: Event) -> StoredEvent:
    return StoredEvent(
        event=ChainEvent(
            seq=e.seq,
            occurred_at=e.occurred_at,
            subject_id=e.subject_id,
            type=e.type,
            actor_type=e.actor_type,
            actor_id=e.actor_id,
            touchpoint=e.touchpoint,
            data=msgspec.json.decode(e.data),
            sealed=e.sealed,
            site=e.site,
        ),
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


async def _event_batches(session: AsyncSession, batch: int = 5000) -> AsyncIterator[list[StoredEvent]]:
    after = 0
    while True:
        rows = (
            (await session.execute(select(Event).where(Event.seq > after).order_by(Event.seq).limit(batch)))
            .scalars()
            .all()
        )
        if not rows:
            return
        yield [stored_event(row) for row in rows]
        after = rows[-1].seq
        session.expunge_all()


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head_seq: int | None
    head_hash: str
    checkpoints_checked: int
    first_bad_seq: int | None
    problem: str | None


async def verify_log(session: AsyncSession, keys: KeyMaterial) -> Verification:
    """Check the whole chain in batches, then every signed checkpoint against it; name the first bad event."""
    checkpoints = (await session.execute(select(Checkpoint).order_by(Checkpoint.seq))).scalars().all()
    wanted = {c.seq for c in checkpoints}
    chain_hash_at: dict[int, str] = {}
    prev_hash, next_seq, checked = GENESIS_HASH, 1, 0
    async for batch in _event_batches(session):
        report = verify_chain(batch, start_prev_hash=prev_hash, start_seq=next_seq)
        for stored in batch[: report.checked]:
            if stored.seq in wanted:
                chain_hash_at[stored.seq] = stored.hash
        checked += report.checked
        if not report.ok:
            return Verification(
                False, checked, report.head_seq, report.head_hash, 0, report.first_bad_seq, report.problem
            )
        prev_hash, next_seq = report.head_hash, report.head_seq + 1
    head_seq = next_seq - 1 if checked else None

    public_key = keys.signing_public_key
    for number, cp in enumerate(checkpoints):
        if cp.key_id != keys.signing_key_id:
            problem = f"checkpoint at seq {cp.seq} was signed by an unknown key {cp.key_id}"
        elif not verify_checkpoint(public_key, cp.seq, cp.head_hash, cp.signed_at, cp.signature):
            problem = f"checkpoint at seq {cp.seq} has a bad signature"
        elif cp.seq not in chain_hash_at:
            problem = (
                f"checkpoint at seq {cp.seq} is beyond the log's end (seq {head_seq}): events were truncated"
            )
        elif chain_hash_at[cp.seq] != cp.head_hash:
            problem = f"the chain at seq {cp.seq} differs from its signed checkpoint: history was rewritten"
        else:
            continue
        bad_seq = cp.seq if cp.seq in chain_hash_at else (head_seq or 0) + 1
        return Verification(False, checked, head_seq, prev_hash, number, bad_seq, problem)
    return Verification(True, checked, head_seq, prev_hash, len(checkpoints), None, None)


async def recent_verification(ctx, max_age_seconds: float = 60.0) -> Verification:
    """A whole-log verification no older than ``max_age_seconds`` (this process's last one, or a new one)."""
    now = time.monotonic()
    if ctx.last_verification is not None and now - ctx.last_verification[1] < max_age_seconds:
        return ctx.last_verification[0]
    async with ctx.db.read_session() as session:
        result = await verify_log(session, ctx.keys)
    ctx.last_verification = (result, time.monotonic())
    return result
