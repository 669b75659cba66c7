"""Interaction use cases: record a contact, list a subject's contacts newest first, read them for an export.

A contact is one row in ``interactions`` and one ``interaction.recorded`` event in the same transaction.
The event's ``data`` holds what downstream systems may see (channel, touchpoint, direction, topic,
outcome, handle time, agent, continues); the summary is personal free text and lives only sealed with the
subject's data key, in the row and in the event, so erasing the key shreds it everywhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto
from prefcenter.core.cursors import decode_cursor, encode_cursor
from prefcenter.errors import InvalidInput
from prefcenter.interactions.schemas import (
    CONTACT_CHANNELS,
    InteractionCreate,
    InteractionPage,
    InteractionRead,
)
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Channel
from prefcenter.store.models_interactions import Interaction
from prefcenter.store.unit_of_work import Actor, UnitOfWork, format_instant, kept_data_key

RECORDED = "interaction.recorded"


def _summary_aad(subject_id: str, interaction_id: str) -> bytes:
    return f"{subject_id}:interaction:{interaction_id}".encode()


async def record_interaction(
    uow: UnitOfWork, actor: Actor, subject_id: str, body: InteractionCreate
) -> Interaction:
    """Record one contact: the subject must exist and not be erased; ``continues`` must be its own."""
    await uow.lock_subject(subject_id)
    if body.channel not in CONTACT_CHANNELS and await uow.session.get(Channel, body.channel) is None:
        raise InvalidInput(
            f"unknown channel {body.channel}: a catalog channel or one of {', '.join(CONTACT_CHANNELS)}"
        )
    if body.continues is not None:
        earlier = await uow.session.get(Interaction, body.continues.lower())
        if earlier is None or earlier.subject_id != subject_id:
            raise InvalidInput(f"continues: this subject has no interaction {body.continues}")
    interaction_id = str(uuid.uuid4())
    data_key = await uow.data_key(subject_id)
    summary_sealed = (
        crypto.seal(data_key, body.summary.encode(), aad=_summary_aad(subject_id, interaction_id))
        if body.summary is not None
        else None
    )
    interaction = Interaction(
        id=interaction_id,
        subject_id=subject_id,
        occurred_at=uow.now,
        channel=body.channel,
        touchpoint=body.touchpoint,
        direction=body.direction,
        topic=body.topic,
        outcome=body.outcome,
        handle_seconds=body.handle_seconds,
        agent=body.agent,
        continues=body.continues.lower() if body.continues else None,
        actor_type=actor.type,
        actor_id=actor.id,
        summary_sealed=summary_sealed,
    )
    uow.session.add(interaction)
    await uow.append_event(
        RECORDED,
        actor=actor,
        subject_id=subject_id,
        touchpoint=body.touchpoint,
        data={
            "interaction_id": interaction_id,
            "channel": body.channel,
            "direction": body.direction,
            "topic": body.topic,
            "outcome": body.outcome,
            "handle_seconds": body.handle_seconds,
            "agent": body.agent,
            "continues": interaction.continues,
            "has_summary": body.summary is not None,
        },
        sealed={"summary": body.summary} if body.summary is not None else None,
    )
    return interaction


def _interaction_cursor(moment: datetime, interaction_id: str) -> str:
    return encode_cursor(f"{format_instant(moment)}|{interaction_id}")


def _occurred_and_id(text: str) -> tuple[datetime, str]:
    moment, _, interaction_id = text.partition("|")
    uuid.UUID(interaction_id)
    return datetime.fromisoformat(moment.replace("Z", "+00:00")), interaction_id


def interaction_read(row: Interaction, data_key: bytes | None) -> InteractionRead:
    """The wire form; the summary only when ``data_key`` is given (None: shredded, or not the caller's)."""
    summary = None
    if data_key is not None and row.summary_sealed is not None:
        summary = crypto.unseal(
            data_key, row.summary_sealed, aad=_summary_aad(row.subject_id, row.id)
        ).decode()
    return InteractionRead(
        id=row.id,
        subject_id=row.subject_id,
        occurred_at=row.occurred_at,
        channel=row.channel,
        touchpoint=row.touchpoint,
        direction=row.direction,
        topic=row.topic,
        summary=summary,
        outcome=row.outcome,
        handle_seconds=row.handle_seconds,
        agent=row.agent,
        continues=row.continues,
        actor_type=row.actor_type,
        actor_id=row.actor_id,
    )


async def list_interactions(
    session: AsyncSession,
    keys: KeyMaterial,
    subject_id: str,
    cursor: str | None,
    limit: int,
    *,
    with_summary: bool = True,
) -> InteractionPage:
    """A page of the subject's interactions, newest first (ties broken by id, so a page never skips one)."""
    statement = select(Interaction).where(Interaction.subject_id == subject_id)
    if cursor:
        before, before_id = decode_cursor(cursor, _occurred_and_id)
        statement = statement.where(
            or_(
                Interaction.occurred_at < before,
                and_(Interaction.occurred_at == before, Interaction.id < before_id),
            )
        )
    rows = (
        (
            await session.execute(
                statement.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit + 1)
            )
        )
        .scalars()
        .all()
    )
    data_key = (
        await kept_data_key(session, keys, subject_id) if with_summary and rows else None
    )  # None: shredded
    items = [interaction_read(row, data_key) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return InteractionPage(
        items=items, next_cursor=_interaction_cursor(last.occurred_at, last.id) if last else None
    )


async def export_interactions(session: AsyncSession, data_key: bytes, subject_id: str) -> list[dict]:
    """Every interaction of the subject, oldest first, summaries decrypted (for access exports)."""
    rows = (
        await session.execute(
            select(Interaction)
            .where(Interaction.subject_id == subject_id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    ).scalars()
    return [
        {
            **{f: getattr(read, f) for f in read.__struct_fields__},
            "occurred_at": format_instant(read.occurred_at),
        }
        for read in (interaction_read(row, data_key) for row in rows)
    ]
