"""Suppression export (who must not get a channel/topic) and the preference/consent change feed.

The export walks every subject in id order, ``CHUNK`` at a time, asks the same ``decide`` the checks use
and writes the identities of every denied subject: plain (normalised) or SHA-256 of the normalised value,
the form email and ad platforms match suppression lists with. Identities live encrypted under each
subject's data key, so each denied subject's key is unwrapped to read them; erased subjects have neither
key nor identities (their keyed hashes stay on ``erasure_suppressions``, which no provider can match).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import msgspec
from sqlalchemy import select

from prefcenter.checks.campaign import CampaignDecider, campaign_keys
from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.core.csv_cells import neutralise_cell
from prefcenter.errors import InvalidInput
from prefcenter.store.models import Event, Identity, Subject, SubjectKey
from prefcenter.store.projection_rows import SubjectRef
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import utcnow
from prefcenter.suppression.schemas import ChangeRead, ChangesRead
from prefcenter.vocabulary import CHANNEL_IDENTITY_KINDS

CHUNK = 2000
CHANGE_TYPES = (
    "preference.set",
    "subject.settings_changed",
    "consent.granted",
    "consent.pending_confirmation",
    "consent.confirmed",
    "consent.withdrawn",
    "consent.expired",
    "subject.erased",
    "import.row",
    "interaction.recorded",  # its data never holds the summary (sealed with the subject's key)
)
_json = msgspec.json.Encoder()


async def suppression_rows(
    ctx: AppContext, channel: str, topic: str, hashed: bool
) -> AsyncIterator[tuple[str, str, str, str]]:
    """``(kind, value_or_sha256, reason, subject_id)`` for each identity that must not get channel/topic."""
    kinds = CHANNEL_IDENTITY_KINDS.get(channel)
    if kinds is None:
        raise InvalidInput(
            f"no identity kind reaches channel {channel}; one of {', '.join(CHANNEL_IDENTITY_KINDS)}"
        )
    reader = projection_reader(ctx.db)
    catalog = await reader.catalog()
    if topic not in catalog.topics or channel not in catalog.channels:
        raise InvalidInput("unknown channel or topic")
    now = utcnow()
    # one question for every subject: decide once per distinct state (checks/campaign.py, equal to decide)
    decider = CampaignDecider(channel, catalog.topics[topic], now, catalog.channels)
    after = ""
    while True:
        async with ctx.db.read_session() as session:
            ids = list(
                (
                    await session.execute(
                        select(Subject.id)
                        .where(Subject.id > after, Subject.erased_at.is_(None))
                        .order_by(Subject.id)
                        .limit(CHUNK)
                    )
                ).scalars()
            )
        if not ids:
            return
        after = ids[-1]
        rows = await reader.fetch([SubjectRef("id", i) for i in ids], channel, topic)
        keys = campaign_keys(rows.subjects.values(), rows.preferences, rows.consents, channel, topic, now)
        denied = {}
        for sid, (key, _consent_id, _notice_version) in keys.items():
            allowed, reason, _cites, _preference = decider.verdict(key)
            if not allowed:
                denied[sid] = reason
        if not denied:
            continue
        # read the chunk's identities, then leave the read transaction before yielding: a slow client must
        # not hold a snapshot open (it would pin the SQLite WAL), and a client that goes away mid-export
        # closes this generator outside any session
        async with ctx.db.read_session() as session:
            found = (
                await session.execute(
                    select(
                        Identity.subject_id,
                        Identity.kind,
                        Identity.sealed_value,
                        SubjectKey.master_key_id,
                        SubjectKey.wrapped_key,
                    )
                    .join(SubjectKey, SubjectKey.subject_id == Identity.subject_id)
                    .where(Identity.subject_id.in_(list(denied)), Identity.kind.in_(kinds))
                    .order_by(Identity.subject_id, Identity.kind)
                )
            ).all()
        for sid, kind, sealed, master_id, wrapped in found:
            # by the key that wrapped it: during a master key rotation some are still under the previous one
            data_key = crypto.unwrap_key(ctx.keys.master_key_by_id(master_id), wrapped, sid)
            value = crypto.unseal(data_key, sealed, aad=sid.encode()).decode()
            yield kind, hashlib.sha256(value.encode()).hexdigest() if hashed else value, denied[sid], sid


async def export_lines(
    ctx: AppContext, channel: str, topic: str, hashed: bool, fmt: str
) -> AsyncIterator[bytes]:
    field = "sha256" if hashed else "value"
    if fmt == "csv":
        yield f"kind,{field},reason\n".encode()
    buffer: list[bytes] = []
    async for kind, value, reason, _sid in suppression_rows(ctx, channel, topic, hashed):
        if fmt == "csv":
            buffer.append(f"{kind},{_csv(value)},{reason}\n".encode())
        else:
            buffer.append(_json.encode({"kind": kind, field: value, "reason": reason}) + b"\n")
        if len(buffer) >= 1000:
            yield b"".join(buffer)
            buffer.clear()
    if buffer:
        yield b"".join(buffer)


def _csv(value: str) -> str:
    """One CSV cell: neutralised for spreadsheets (``core/csv_cells.py``; E.164 phone numbers stay exact),
    then quoted if it holds a separator, a quote or a line break. Kind and reason are vocabulary words."""
    value = neutralise_cell(value)
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def parse_cursor(after: str | None) -> int:
    if after in (None, ""):
        return 0
    try:
        value = int(after)
    except ValueError:
        raise InvalidInput("after must be a cursor from a previous page (or empty to start)") from None
    if value < 0:
        raise InvalidInput("after must be a cursor from a previous page")
    return value


async def changes(ctx: AppContext, after: str | None, limit: int) -> ChangesRead:
    start = parse_cursor(after)
    async with ctx.db.read_session() as session:
        rows = (
            (
                await session.execute(
                    select(Event)
                    .where(Event.seq > start, Event.type.in_(CHANGE_TYPES))
                    .order_by(Event.seq)
                    .limit(limit + 1)
                )
            )
            .scalars()
            .all()
        )
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [
        ChangeRead(
            seq=e.seq,
            occurred_at=e.occurred_at,
            subject_id=e.subject_id,
            type=e.type,
            actor_type=e.actor_type,
            touchpoint=e.touchpoint,
            data=msgspec.json.decode(e.data),
        )
        for e in rows
    ]
    return ChangesRead(items=items, next_cursor=str(rows[-1].seq if rows else start), has_more=has_more)
