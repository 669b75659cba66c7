"""A legal hold on a subject: while it is set, erasure keeps what the hold names (set and released as events)."""

from __future__ import annotations

from prefcenter.errors import Conflict
from prefcenter.store.models import Subject
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.subjects.service import get_subject


async def set_legal_hold(uow: UnitOfWork, actor: Actor, subject_id: str, reason: str | None) -> Subject:
    subject = await get_subject(uow.session, subject_id)
    if subject.erased_at is not None:
        raise Conflict(f"subject {subject_id} was erased", reason="erased")
    if subject.legal_hold == reason:
        return subject
    subject.legal_hold = reason
    await uow.append_event(
        "subject.legal_hold_set" if reason else "subject.legal_hold_released",
        actor=actor,
        subject_id=subject_id,
        data={"reason": reason},
    )
    return subject
