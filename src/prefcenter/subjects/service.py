"""Subject use cases: create, identities, lookup, settings and preferences."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.catalog.service import write_catalog
from prefcenter.core import crypto
from prefcenter.core.normalise import (
    InvalidIdentity,
    mask_identity,
    normalise_identity,
    parse_identity_ref,
    suppression_forms,
)
from prefcenter.errors import Conflict, InvalidInput, NotFound, ServiceMessageOptOut
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Identity, Subject
from prefcenter.store.models_dsr import ErasureSuppression
from prefcenter.store.projection_rows import ProfileRows
from prefcenter.store.unit_of_work import Actor, NewEvent, UnitOfWork, kept_data_key
from prefcenter.store.write_statements import LockedSubject, preference_statuses
from prefcenter.subjects.schemas import (
    IdentityRead,
    IdentityWrite,
    PreferencesUpdate,
    SubjectCreate,
    SubjectRead,
)


def _normalise(kind: str, value: str) -> str:
    try:
        return normalise_identity(kind, value)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc)) from exc


async def get_subject(session: AsyncSession, subject_id: str) -> Subject:
    try:
        uuid.UUID(subject_id)
    except ValueError:
        raise NotFound(f"no subject {subject_id}") from None
    subject = await session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(f"no subject {subject_id}")
    return subject


async def erased_identity(
    session: AsyncSession, pepper: bytes, kind: str, raw_value: str
) -> ErasureSuppression | None:
    """The erasure suppression entry for this value, under the current or the legacy normalisation rule
    (entries are hashes only, so those written before the rule changed cannot be re-computed)."""
    try:
        forms = suppression_forms(kind, raw_value)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc)) from exc
    hashes = [crypto.lookup_hash(pepper, kind, form) for form in forms]
    return (
        (await session.execute(select(ErasureSuppression).where(ErasureSuppression.lookup_hash.in_(hashes))))
        .scalars()
        .first()
    )


async def _add_identity(
    uow: UnitOfWork, actor: Actor, subject: Subject | LockedSubject, body: IdentityWrite
) -> None:
    value = _normalise(body.kind, body.value)
    digest = crypto.lookup_hash(uow.keys.pepper, body.kind, value)
    existing = (
        await uow.session.execute(select(Identity).where(Identity.lookup_hash == digest))
    ).scalar_one_or_none()
    if existing is not None:
        if existing.subject_id == subject.id:
            return
        raise Conflict(f"this {body.kind} already belongs to another subject", reason="identity_taken")
    if await erased_identity(uow.session, uow.keys.pepper, body.kind, body.value) is not None:
        raise Conflict(
            f"this {body.kind} belonged to a subject erased at their request; it is suppressed",
            reason="erased_identity",
        )
    uow.session.add(
        Identity(
            id=str(uuid.uuid4()),
            subject_id=subject.id,
            kind=body.kind,
            lookup_hash=digest,
            sealed_value=crypto.seal(await uow.data_key(subject.id), value.encode(), aad=subject.id.encode()),
            added_at=uow.now,
        )
    )
    await uow.append_event(
        "identity.added",
        actor=actor,
        subject_id=subject.id,
        touchpoint=body.touchpoint,
        data={"kind": body.kind},
        sealed={"value": value},
    )


async def create_subject(uow: UnitOfWork, actor: Actor, body: SubjectCreate) -> Subject:
    if body.external_id is not None:
        taken = await uow.session.execute(select(Subject.id).where(Subject.external_id == body.external_id))
        if taken.first() is not None:
            raise Conflict("a subject with this external_id exists already", reason="external_id_taken")
    subject = Subject(
        id=str(uuid.uuid4()),
        external_id=body.external_id,
        created_at=uow.now,
        revision=1,
        do_not_contact=False,
        language=body.language,
    )
    uow.session.add(subject)
    await uow.create_data_key(subject.id)
    await uow.session.flush()
    await uow.append_event(
        "subject.created",
        actor=actor,
        subject_id=subject.id,
        touchpoint=body.touchpoint,
        data={"has_external_id": body.external_id is not None, "language": body.language},
        sealed={"external_id": body.external_id} if body.external_id else None,
    )
    for identity in body.identities:
        await _add_identity(uow, actor, subject, identity)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise Conflict("the subject conflicts with an existing one (external id or identity)") from exc
    return subject


async def add_identity(uow: UnitOfWork, actor: Actor, subject_id: str, body: IdentityWrite) -> LockedSubject:
    subject = await uow.lock_subject(subject_id)
    await _add_identity(uow, actor, subject, body)
    uow.bump_revision(subject)
    return subject


async def find_subject(
    session: AsyncSession, pepper: bytes, *, identity: str | None = None, external_id: str | None = None
) -> Subject:
    """Look a subject up by one identity reference (``email:ann@example.com``) or by external id."""
    if (identity is None) == (external_id is None):
        raise InvalidInput("give exactly one of identity=<kind>:<value> or external_id=<id>")
    if external_id is not None:
        subject = (
            await session.execute(select(Subject).where(Subject.external_id == external_id))
        ).scalar_one_or_none()
    else:
        try:
            kind, value = parse_identity_ref(identity)
        except InvalidIdentity as exc:
            raise InvalidInput(str(exc)) from exc
        digest = crypto.lookup_hash(pepper, kind, value)
        subject = (
            await session.execute(select(Subject).join(Identity).where(Identity.lookup_hash == digest))
        ).scalar_one_or_none()
    if subject is None:
        raise NotFound("no subject matches")
    return subject


async def read_subject(
    session: AsyncSession, keys: KeyMaterial, subject: Subject | LockedSubject
) -> SubjectRead:
    rows = (
        (
            await session.execute(
                select(Identity).where(Identity.subject_id == subject.id).order_by(Identity.added_at)
            )
        )
        .scalars()
        .all()
    )
    data_key = await kept_data_key(session, keys, subject.id) if rows else None  # None: shown as [erased]
    return SubjectRead(
        id=subject.id,
        external_id=subject.external_id,
        created_at=subject.created_at,
        erased_at=subject.erased_at,
        identities=masked_identities(data_key, subject.id, rows),
    )


def masked_identities(data_key: bytes | None, subject_id: str, rows) -> list[IdentityRead]:
    """Identity rows (``kind``, ``sealed_value``, ``added_at``) as shown: masked, or ``[erased]`` once the
    subject's data key is shredded (``data_key`` None)."""
    return [
        IdentityRead(
            kind=row.kind,
            masked=shown_identity(data_key, subject_id, row.kind, row.sealed_value),
            added_at=row.added_at,
        )
        for row in rows
    ]


def shown_identity(data_key: bytes | None, subject_id: str, kind: str, sealed_value: bytes) -> str:
    """One identity as staff and clients see it: masked, or ``[erased]`` once the data key is shredded."""
    if data_key is None:
        return "[erased]"
    return mask_identity(kind, crypto.unseal(data_key, sealed_value, aad=subject_id.encode()).decode())


def subject_from_rows(keys: KeyMaterial, rows: ProfileRows) -> SubjectRead:
    """The subject part of a profile read by a projection reader."""
    subject, key = rows.subject, rows.key
    data_key = None
    if rows.identities and key is not None:
        data_key = crypto.unwrap_key(keys.master_key_by_id(key.master_key_id), key.wrapped_key, subject.id)
    return SubjectRead(
        id=subject.id,
        external_id=subject.external_id,
        created_at=subject.created_at,
        erased_at=subject.erased_at,
        identities=masked_identities(data_key, subject.id, rows.identities),
    )


def _keep_service_messages(
    body: PreferencesUpdate, existing: dict[tuple[str, str], str], service_messages: dict[str, list[str]]
) -> None:
    """A service message (a topic that is not optional) cannot be switched off: a new opt-out of one of its
    channels must leave at least one channel on. Opt-outs stored before stay as they are."""
    for item in body.items:
        if item.topic not in service_messages or item.status != "opted_out":
            continue
        after = {**existing, **{(i.channel, i.topic): i.status for i in body.items}}
        if after.get(("*", item.topic)) == "opted_out" or all(
            after.get((channel, item.topic)) == "opted_out" for channel in service_messages[item.topic]
        ):
            raise ServiceMessageOptOut(
                f"{item.topic} is a service message and cannot be switched off: keep at least one of its channels "
                f"({', '.join(service_messages[item.topic])})",
                topic=item.topic,
            )


async def update_preferences(
    uow: UnitOfWork, actor: Actor, subject_id: str, body: PreferencesUpdate, expected_revision: int | None
) -> LockedSubject:
    """Apply many preference and settings changes at once; one event per actual change.

    The hot write path: the catalog is checked against the write catalog (read again only when its version
    moved), the current preferences are read and the changed ones written with plain statements on the
    transaction's connection (``store/write_statements.py``: the ORM's and the session's per-statement
    bookkeeping was most of a save's time); the subject is the locked row (``LockedSubject``), its settings
    and revision written with ``UnitOfWork.change_subject`` and ``bump_revision``, its events when the unit
    of work completes (the chain lock taken last)."""
    subject = await uow.lock_subject(subject_id, expected_revision, preferences=True)
    catalog = await write_catalog(uow)
    service_messages = {}
    seen: set[tuple[str, str]] = set()
    for item in body.items:
        if item.channel != "*" and item.channel not in catalog.channels:
            raise InvalidInput(f"unknown channel {item.channel}")
        if item.topic != "*":
            topic = catalog.topics.get(item.topic)
            if topic is None:
                raise InvalidInput(f"unknown topic {item.topic}")
            if item.channel not in topic.channels:
                raise InvalidInput(f"topic {item.topic} is not offered on channel {item.channel}")
            if not topic.optional:
                service_messages[item.topic] = topic.channels
        if (item.channel, item.topic) in seen:
            raise InvalidInput(f"{item.channel}:{item.topic} appears twice in one request")
        seen.add((item.channel, item.topic))
    if body.preferred_channel is not None and body.preferred_channel not in catalog.channels:
        raise InvalidInput(f"unknown channel {body.preferred_channel}")

    changed = False
    statements = await uow.statements()
    existing = await preference_statuses(statements, subject_id)
    if service_messages:
        _keep_service_messages(body, existing, service_messages)
    changes, events = [], []
    for item in body.items:
        previous = existing.get((item.channel, item.topic))
        if previous == item.status:
            continue
        changes.append((item.channel, item.topic, item.status))
        events.append(
            NewEvent(
                "preference.set",
                actor,
                subject_id=subject_id,
                touchpoint=body.touchpoint,
                data={
                    "channel": item.channel,
                    "topic": item.topic,
                    "status": item.status,
                    "previous": previous,
                    "reason": body.reason,
                },
            )
        )
        changed = True
    if changes:
        await uow.set_preferences(subject_id, changes)  # one statement for all of them, with the events

    settings_changes = {}
    for field in ("do_not_contact", "preferred_channel", "language", "frequency"):
        value = getattr(body, field)
        if value is not None and getattr(subject, field) != value:
            settings_changes[field] = value
    if settings_changes:
        uow.change_subject(subject, **settings_changes)
        events.append(
            NewEvent(
                "subject.settings_changed",
                actor,
                subject_id=subject_id,
                touchpoint=body.touchpoint,
                data={**settings_changes, "reason": body.reason},
            )
        )
        changed = True
    if changed:
        # the events with one INSERT, when the unit of work completes (the chain lock taken last)
        await uow.append_events(events)
        uow.bump_revision(subject)
    return subject
