"""The staff console's person use cases: find people by exact match, show identities masked, reveal one.

Finding never scans plaintext: identities are matched through their keyed lookup hash (normalised as the
API normalises them), external and subject ids by equality. Revealing an identity is an event of its own
(``staff.identity_revealed``, with the reason sealed with the subject's key), so the audit log says who
saw which identity of whom, when and why; viewing a person is one too (``staff.subject_viewed``).
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto
from prefcenter.core.person_search import person_query
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Identity, Subject
from prefcenter.store.unit_of_work import Actor, UnitOfWork, kept_data_key
from prefcenter.subjects.service import shown_identity

MAX_FOUND = 20
VIEWED = "staff.subject_viewed"
REVEALED = "staff.identity_revealed"


class MaskedIdentity(msgspec.Struct, frozen=True):
    id: str
    kind: str
    masked: str


class PersonShown(msgspec.Struct, frozen=True):
    """How staff pages name a person instead of a bare id: their first identity masked and their external id."""

    subject_id: str
    masked: str | None  # the oldest identity, masked (``[erased]`` once shredded); None: no identity
    external_id: str | None


class RevealedIdentity(msgspec.Struct, frozen=True):
    id: str
    kind: str
    value: str


async def find_people(session: AsyncSession, pepper: bytes, text: str) -> list[Subject]:
    """The subjects ``text`` names exactly (a subject id, an external id, or an identity), at most a few."""
    query = person_query(text)
    hashes = [crypto.lookup_hash(pepper, kind, value) for kind, value in query.identities]
    matches = []
    if query.subject_id is not None:
        matches.append(Subject.id == query.subject_id)
    if query.external_id is not None:
        matches.append(Subject.external_id == query.external_id)
    if hashes:
        by_identity = select(Identity.subject_id).where(Identity.lookup_hash.in_(hashes))
        matches.append(Subject.id.in_(by_identity))
    if not matches:
        return []
    rows = await session.execute(
        select(Subject).where(or_(*matches)).order_by(Subject.created_at, Subject.id).limit(MAX_FOUND)
    )
    return list(rows.scalars())


async def masked_identities(
    session: AsyncSession, keys: KeyMaterial, subject_id: str
) -> list[MaskedIdentity]:
    """The subject's identities, oldest first, masked (``[erased]`` once the data key is shredded)."""
    rows = (
        await session.execute(
            select(Identity).where(Identity.subject_id == subject_id).order_by(Identity.added_at, Identity.id)
        )
    ).scalars()
    rows = list(rows)
    data_key = await kept_data_key(session, keys, subject_id) if rows else None
    return [
        MaskedIdentity(
            id=row.id, kind=row.kind, masked=shown_identity(data_key, subject_id, row.kind, row.sealed_value)
        )
        for row in rows
    ]


async def people_shown(
    session: AsyncSession, keys: KeyMaterial, subject_ids: list[str]
) -> dict[str, PersonShown]:
    """``subject_ids`` as pages name them (one read of their subjects and identities, one unseal each)."""
    wanted = sorted(set(subject_ids))
    if not wanted:
        return {}
    external = dict(
        (await session.execute(select(Subject.id, Subject.external_id).where(Subject.id.in_(wanted)))).all()
    )
    first: dict[str, Identity] = {}
    for row in (
        await session.execute(
            select(Identity)
            .where(Identity.subject_id.in_(wanted))
            .order_by(Identity.subject_id, Identity.added_at, Identity.id)
        )
    ).scalars():
        first.setdefault(row.subject_id, row)
    shown = {}
    for subject_id in wanted:
        if subject_id not in external:
            continue
        masked = None
        if (identity := first.get(subject_id)) is not None:
            data_key = await kept_data_key(session, keys, subject_id)
            masked = shown_identity(data_key, subject_id, identity.kind, identity.sealed_value)
        shown[subject_id] = PersonShown(subject_id, masked, external[subject_id])
    return shown


async def record_view(uow: UnitOfWork, actor: Actor, subject_id: str) -> None:
    """A staff member opened this person's single customer view: who looked at whom, when."""
    await uow.append_event(VIEWED, actor=actor, subject_id=subject_id, data={})


async def reveal_identity(
    uow: UnitOfWork, actor: Actor, subject_id: str, identity_id: str, reason: str
) -> RevealedIdentity:
    """One identity in full, for a stated reason, recorded as an event before it is shown."""
    if not reason.strip():
        raise InvalidInput("give the reason for revealing the identity")
    try:
        identity_id = str(uuid.UUID(identity_id))
    except ValueError:
        raise NotFound(f"no identity {identity_id} for this subject") from None
    identity = await uow.session.get(Identity, identity_id)
    if identity is None or identity.subject_id != subject_id:
        raise NotFound(f"no identity {identity_id} for this subject")
    data_key = await kept_data_key(uow.session, uow.keys, subject_id)
    if data_key is None:
        raise NotFound("this subject was erased: the identity is shredded")
    value = crypto.unseal(data_key, identity.sealed_value, aad=subject_id.encode()).decode()
    await uow.append_event(
        REVEALED,
        actor=actor,
        subject_id=subject_id,
        data={"identity_id": identity.id, "kind": identity.kind},
        sealed={"reason": reason},
    )
    return RevealedIdentity(id=identity.id, kind=identity.kind, value=value)
