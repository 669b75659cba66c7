"""Feedback use cases: record an answer, read a subject's answers for an access export.

An answer is one ``feedback`` row (store/models_feedback.py). The person who gave it is named as in consent
checks; the comment is sealed with their data key, so a comment always needs a subject. Erasure
(dsr/erasure.py) clears the links and the comment and keeps the bare score for the aggregates.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.auth.principal import Principal
from prefcenter.checks.subject_refs import parse_subject_ref
from prefcenter.core import crypto
from prefcenter.core.feedback_scores import SCORE_RANGES, score_in_range
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.feedback.schemas import FeedbackCreate, FeedbackRead
from prefcenter.interactions.schemas import CONTACT_CHANNELS
from prefcenter.store.models import Channel, Identity, Subject
from prefcenter.store.models_feedback import Feedback
from prefcenter.store.models_interactions import Interaction
from prefcenter.store.unit_of_work import UnitOfWork, format_instant

EXPORT_COLUMNS = [
    "id",
    "received_at",
    "metric",
    "score",
    "channel",
    "touchpoint",
    "site",
    "interaction_id",
    "comment",
]
"""The fields of a subject's feedback in an access export (JSON and CSV)."""


def _comment_aad(subject_id: str, feedback_id: str) -> bytes:
    return f"{subject_id}:feedback:{feedback_id}".encode()


async def find_subject_id(session: AsyncSession, pepper: bytes, reference: str) -> str:
    """The id of the subject ``reference`` names (as in consent checks); NotFound when none does."""
    ref = parse_subject_ref(reference, pepper)
    if ref.kind == "id":
        statement = select(Subject.id).where(Subject.id == ref.key)
    elif ref.kind == "external_id":
        statement = select(Subject.id).where(Subject.external_id == ref.key)
    else:
        statement = select(Identity.subject_id).where(Identity.lookup_hash == ref.key)
    subject_id = (await session.execute(statement)).scalar_one_or_none()
    if subject_id is None:
        raise NotFound("no subject matches")
    return subject_id


async def record_feedback(uow: UnitOfWork, principal: Principal, body: FeedbackCreate) -> Feedback:
    """Check the answer against its metric, resolve who gave it and store it (comment sealed)."""
    if not score_in_range(body.metric, body.score):
        low, high = SCORE_RANGES[body.metric]
        raise InvalidInput(f"score: {body.metric} answers score from {low} to {high}")
    touchpoint = body.touchpoint or principal.touchpoint
    if touchpoint is None:
        raise InvalidInput("touchpoint: say where the question was asked (web, support, email_link, ...)")
    if body.channel not in CONTACT_CHANNELS and await uow.session.get(Channel, body.channel) is None:
        raise InvalidInput(
            f"unknown channel {body.channel}: a catalog channel or one of {', '.join(CONTACT_CHANNELS)}"
        )
    subject_id = await _answering_subject(uow, principal, body.subject)
    if subject_id is None and (body.comment is not None or body.interaction_id is not None):
        raise InvalidInput("a comment or an interaction_id needs the subject (anonymous feedback is a score)")
    feedback_id = str(uuid.uuid4())
    comment_sealed = None
    if subject_id is not None:
        await uow.lock_subject(subject_id)  # not erased
        if body.interaction_id is not None:
            interaction = await uow.session.get(Interaction, body.interaction_id.lower())
            if interaction is None or interaction.subject_id != subject_id:
                raise InvalidInput(f"interaction_id: this subject has no interaction {body.interaction_id}")
        if body.comment is not None:
            comment_sealed = crypto.seal(
                await uow.data_key(subject_id),
                body.comment.encode(),
                aad=_comment_aad(subject_id, feedback_id),
            )
    actor = principal.actor
    feedback = Feedback(
        id=feedback_id,
        received_at=uow.now,
        metric=body.metric,
        score=body.score,
        channel=body.channel,
        touchpoint=touchpoint,
        site=actor.site,
        subject_id=subject_id,
        interaction_id=body.interaction_id.lower() if body.interaction_id else None,
        comment_sealed=comment_sealed,
        actor_type=actor.type,
        actor_id=actor.id,
    )
    uow.session.add(feedback)
    return feedback


async def _answering_subject(uow: UnitOfWork, principal: Principal, reference: str | None) -> str | None:
    if principal.kind == "subject":  # a widget token answers for its own subject only
        if reference is not None:
            named = await find_subject_id(uow.session, uow.keys.pepper, reference)
            if named != principal.subject_id:
                raise NotFound("no subject matches")
        return principal.subject_id
    if reference is None:
        return None
    return await find_subject_id(uow.session, uow.keys.pepper, reference)


def feedback_read(row: Feedback, data_key: bytes | None) -> FeedbackRead:
    """The wire form; the comment only when ``data_key`` is given."""
    comment = None
    if data_key is not None and row.comment_sealed is not None and row.subject_id is not None:
        comment = crypto.unseal(
            data_key, row.comment_sealed, aad=_comment_aad(row.subject_id, row.id)
        ).decode()
    return FeedbackRead(
        id=row.id,
        received_at=row.received_at,
        metric=row.metric,
        score=row.score,
        channel=row.channel,
        touchpoint=row.touchpoint,
        site=row.site,
        subject_id=row.subject_id,
        interaction_id=row.interaction_id,
        comment=comment,
    )


async def export_feedback(session: AsyncSession, data_key: bytes, subject_id: str) -> list[dict]:
    """Every answer the subject gave, oldest first, comments decrypted (for access exports)."""
    rows = (
        await session.execute(
            select(Feedback)
            .where(Feedback.subject_id == subject_id)
            .order_by(Feedback.received_at, Feedback.id)
        )
    ).scalars()
    exported = []
    for row in rows:
        read = feedback_read(row, data_key)
        exported.append(
            {
                **{field: getattr(read, field) for field in EXPORT_COLUMNS},
                "received_at": format_instant(read.received_at),
            }
        )
    return exported
