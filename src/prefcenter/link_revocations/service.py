"""Revoke a subject's email links, and the check every link page makes before it acts.

A revocation sets ``subjects.links_not_before``; a link (unsubscribe, manage, confirm) whose issue time is at
or before it is refused with ``Gone`` (``reason="revoked"``). Link tokens carry their issue time in
milliseconds, so a link minted right after a revocation (the usual "send me a fresh link") works.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefcenter.errors import Gone
from prefcenter.store.models import Subject
from prefcenter.store.unit_of_work import Actor, UnitOfWork, format_instant
from prefcenter.store.write_statements import LockedSubject

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def is_revoked(issued_at_ms: int, links_not_before: datetime | None) -> bool:
    """Pure: a link minted at ``issued_at_ms`` (unix milliseconds) is revoked by ``links_not_before``."""
    if links_not_before is None:
        return False
    return issued_at_ms <= (links_not_before - EPOCH) // MILLISECOND


def ensure_link_current(subject: Subject | LockedSubject, issued_at_ms: int) -> None:
    """Gone (410, ``reason="revoked"``) when the subject's links were revoked after this one was minted."""
    if is_revoked(issued_at_ms, subject.links_not_before):
        raise Gone("this link was revoked; ask for a new one", reason="revoked")


async def revoke_links(uow: UnitOfWork, actor: Actor, subject_id: str) -> LockedSubject:
    """Every link minted for this subject until now stops working: one audited ``subject.links_revoked``."""
    subject = await uow.lock_subject(subject_id)
    previous = subject.links_not_before
    uow.change_subject(subject, links_not_before=uow.now if previous is None else max(previous, uow.now))
    await uow.append_event(
        "subject.links_revoked",
        actor=actor,
        subject_id=subject_id,
        data={"links_not_before": format_instant(subject.links_not_before)},
    )
    return subject
