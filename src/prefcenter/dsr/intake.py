"""Recording a GDPR request: the person addressed by exactly one of subject id, external id or identity;
a second request of the same type while one is open is linked to it, not run twice."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from prefcenter.core import crypto
from prefcenter.core.normalise import InvalidIdentity, parse_identity_ref
from prefcenter.dsr.actions import OPEN
from prefcenter.dsr.deadlines import add_months
from prefcenter.dsr.lifecycle import record, transition
from prefcenter.dsr.schemas import DsrCreate
from prefcenter.errors import Conflict, InvalidInput, NotFound
from prefcenter.store.models import Identity, Subject
from prefcenter.store.models_dsr import DsrRequest
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.subjects.service import erased_identity, get_subject
from prefcenter.vocabulary import DsrSource


async def _resolve_subject(uow: UnitOfWork, body: DsrCreate) -> tuple[Subject, str]:
    given = [x for x in (body.subject_id, body.external_id, body.identity) if x is not None]
    if len(given) != 1:
        raise InvalidInput("address the subject by exactly one of subject_id, external_id or identity")
    session = uow.session
    if body.subject_id is not None:
        return await get_subject(session, body.subject_id), "subject_id"
    if body.external_id is not None:
        subject = (
            await session.execute(select(Subject).where(Subject.external_id == body.external_id))
        ).scalar_one_or_none()
        if subject is None:
            raise NotFound("no subject has this external_id")
        return subject, "external_id"
    try:
        kind, value = parse_identity_ref(body.identity)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc)) from exc
    digest = crypto.lookup_hash(uow.keys.pepper, kind, value)
    subject = (
        await session.execute(select(Subject).join(Identity).where(Identity.lookup_hash == digest))
    ).scalar_one_or_none()
    if subject is None:
        erased = await erased_identity(session, uow.keys.pepper, kind, body.identity.partition(":")[2])
        if erased is not None:
            raise Conflict(
                f"this {kind} belonged to a subject erased on {erased.erased_at:%Y-%m-%d}; nothing is held",
                reason="erased",
            )
        raise NotFound(f"no subject has this {kind}")
    return subject, f"identity:{kind}"


async def create_request(
    uow: UnitOfWork, actor: Actor, body: DsrCreate, *, source: DsrSource = "api"
) -> tuple[DsrRequest, bool]:
    """Record a request. A second one for the same subject and type while one is open is linked to it
    (returned with ``created=False``), not run twice."""
    subject, addressed_by = await _resolve_subject(uow, body)
    if subject.erased_at is not None:
        raise Conflict(f"subject {subject.id} was erased on {subject.erased_at:%Y-%m-%d}", reason="erased")
    open_one = (
        await uow.session.execute(
            select(DsrRequest)
            .where(
                DsrRequest.subject_id == subject.id, DsrRequest.type == body.type, DsrRequest.status.in_(OPEN)
            )
            .order_by(DsrRequest.received_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if open_one is not None:
        open_one.duplicates += 1
        record(uow, open_one, "duplicate", actor, body.note or f"duplicate {body.type} request linked")
        await uow.append_event(
            "dsr.duplicate_linked",
            actor=actor,
            subject_id=subject.id,
            touchpoint=body.touchpoint,
            data={"request_id": open_one.id, "type": body.type},
        )
        return open_one, False
    req = await _received(
        uow,
        actor,
        body.type,
        subject.id,
        addressed_by,
        source=source,
        note=body.note,
        touchpoint=body.touchpoint,
    )
    return req, True


async def _received(
    uow: UnitOfWork,
    actor: Actor,
    type: str,
    subject_id: str | None,
    addressed_by: str,
    *,
    source: DsrSource,
    note: str | None,
    touchpoint: str | None = None,
) -> DsrRequest:
    """A new request in status ``received``, due in a month: its history line and its ``dsr.received`` event."""
    req = DsrRequest(
        id=str(uuid.uuid4()),
        type=type,
        subject_id=subject_id,
        addressed_by=addressed_by,
        status="received",
        received_at=uow.now,
        due_at=add_months(uow.now, 1),
        extended_months=0,
        verification_attempts=0,
        run_number=0,
        duplicates=0,
        actor_type=actor.type,
        actor_id=actor.id,
        updated_at=uow.now,
        source=source,
    )
    uow.session.add(req)
    await uow.session.flush()
    record(uow, req, "status", actor, note, None, "received")
    await uow.append_event(
        "dsr.received",
        actor=actor,
        subject_id=subject_id,
        touchpoint=touchpoint,
        data={
            "request_id": req.id,
            "type": type,
            "addressed_by": addressed_by,
            "due_at": req.due_at.isoformat(),
        },
    )
    return req


async def record_without_subject(
    uow: UnitOfWork, actor: Actor, type: str, kind: str, *, source: DsrSource, why: str
) -> DsrRequest:
    """A verified request about someone we hold no data about: recorded as a DSR without a subject and
    closed at once with the outcome ``no_data`` (the requester is told "we hold no data about you")."""
    req = await _received(uow, actor, type, None, f"identity:{kind}", source=source, note=why)
    req.verified_at, req.verification_method, req.outcome = uow.now, "code", "no_data"
    await transition(uow, req, "verified", actor, "the requester confirmed the one-time code")
    await transition(uow, req, "completed", actor, "we hold no data about the requester")
    return req
