"""Data subject requests: intake, verification, deadlines, the status lifecycle and its audit trail.

Statuses: received -> verified -> in_progress -> waiting_on_systems -> completed | rejected | failed.
Every change is a ``dsr_history`` row and a ``dsr.*`` event in the hash-chained log, with actor and reason.
The work itself runs in the job worker (``dsr.erasure``, ``dsr.export``, ``dsr.action``).
"""

from __future__ import annotations

import base64
import calendar
import hmac
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto
from prefcenter.core.normalise import InvalidIdentity, parse_identity_ref
from prefcenter.dsr.schemas import (
    DsrCreate,
    DsrPage,
    DsrRead,
    ExportInfo,
    HistoryRead,
    SystemOutcome,
)
from prefcenter.errors import Conflict, Gone, InvalidField, InvalidInput, NotFound
from prefcenter.jobs import queue
from prefcenter.store.models import Identity, Subject
from prefcenter.store.models_dsr import (
    DownstreamSystem,
    DsrExport,
    DsrHistory,
    DsrRequest,
    DsrSystemTask,
    ExportLink,
    Job,
)
from prefcenter.store.unit_of_work import Actor, UnitOfWork, load_data_key, utcnow
from prefcenter.subjects.service import erased_identity, get_subject
from prefcenter.vocabulary import MULTI_LINE_PATTERN

OPEN = ("received", "verified", "in_progress", "waiting_on_systems")
FINAL = ("completed", "rejected", "failed")
MAX_EXTENSION_MONTHS = 2
MAX_EXTENSION_REASON = 500
MAX_CODE_ATTEMPTS = 5
WORKER = Actor("system", "worker")
JOB_KIND = {
    "erasure": "dsr.erasure",
    "access": "dsr.export",
    "portability": "dsr.export",
    "rectification": "dsr.action",
    "restriction": "dsr.action",
    "objection": "dsr.action",
}


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- history and transitions ------------------------------------------------------------------------------


def record(
    uow: UnitOfWork,
    req: DsrRequest,
    action: str,
    actor: Actor,
    reason: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    uow.session.add(
        DsrHistory(
            request_id=req.id,
            at=uow.now,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_type=actor.type,
            actor_id=actor.id,
            reason=reason,
        )
    )
    req.updated_at = uow.now


async def transition(
    uow: UnitOfWork, req: DsrRequest, to: str, actor: Actor, reason: str | None = None
) -> None:
    """Move a request to ``to``: a history row and a ``dsr.status_changed`` event, in the caller's transaction."""
    before = req.status
    req.status = to
    if to in FINAL:
        req.completed_at = uow.now
    record(uow, req, "status", actor, reason, before, to)
    await uow.append_event(
        "dsr.status_changed",
        actor=actor,
        subject_id=req.subject_id,
        data={"request_id": req.id, "type": req.type, "from": before, "to": to, "reason": reason},
    )


async def _get_request(session: AsyncSession, request_id: str, *, for_update: bool = False) -> DsrRequest:
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise NotFound(f"no DSR request {request_id}") from None
    statement = select(DsrRequest).where(DsrRequest.id == request_id)
    if for_update:
        statement = statement.with_for_update()
    req = (await session.execute(statement)).scalar_one_or_none()
    if req is None:
        raise NotFound(f"no DSR request {request_id}")
    return req


# --- intake -----------------------------------------------------------------------------------------------


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


async def create_request(uow: UnitOfWork, actor: Actor, body: DsrCreate) -> tuple[DsrRequest, bool]:
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
    req = DsrRequest(
        id=str(uuid.uuid4()),
        type=body.type,
        subject_id=subject.id,
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
    )
    uow.session.add(req)
    await uow.session.flush()
    record(uow, req, "status", actor, body.note, None, "received")
    await uow.append_event(
        "dsr.received",
        actor=actor,
        subject_id=subject.id,
        touchpoint=body.touchpoint,
        data={
            "request_id": req.id,
            "type": body.type,
            "addressed_by": addressed_by,
            "due_at": req.due_at.isoformat(),
        },
    )
    return req, True


# --- verification -----------------------------------------------------------------------------------------


def _code_hash(pepper: bytes, request_id: str, code: str) -> str:
    return hmac.new(pepper, f"dsr-code:{request_id}:{code}".encode(), "sha256").hexdigest()


async def start_verification(
    uow: UnitOfWork, actor: Actor, request_id: str, ttl_seconds: int
) -> tuple[str, str]:
    """Make a one-time code and return ``(email, code)`` for the sender; only the code's keyed hash is kept."""
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.status != "received":
        raise Conflict(
            f"the request is {req.status}; only a received request needs verification", reason="status"
        )
    rows = (
        (
            await uow.session.execute(
                select(Identity).where(Identity.subject_id == req.subject_id, Identity.kind == "email")
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        raise Conflict(
            "the subject has no email identity to send a code to; verify with an officer note instead",
            reason="no_email",
        )
    key = await load_data_key(uow.session, uow.keys, req.subject_id)
    email = crypto.unseal(key, rows[0].sealed_value, aad=req.subject_id.encode()).decode()
    code = f"{secrets.randbelow(10**6):06d}"
    req.verification_code_hash = _code_hash(uow.keys.pepper, req.id, code)
    req.verification_expires_at = uow.now + timedelta(seconds=ttl_seconds)
    req.verification_attempts = 0
    record(uow, req, "verification_sent", actor, "a one-time code was sent to the subject's email")
    return email, code


async def verify(
    uow: UnitOfWork, actor: Actor, request_id: str, code: str | None, note: str | None, *, max_attempts: int
) -> DsrRequest:
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.status != "received":
        raise Conflict(
            f"the request is {req.status}, not received; it cannot be verified again", reason="status"
        )
    if code is not None:
        if req.verification_code_hash is None:
            raise Conflict("no code was sent for this request; send one first", reason="no_code")
        if req.verification_attempts >= MAX_CODE_ATTEMPTS:
            raise Conflict("too many wrong codes; send a new one", reason="too_many_attempts")
        if req.verification_expires_at is not None and req.verification_expires_at < uow.now:
            raise Gone("the verification code expired; send a new one", reason="code_expired")
        if not hmac.compare_digest(req.verification_code_hash, _code_hash(uow.keys.pepper, req.id, code)):
            req.verification_attempts += 1
            raise InvalidInput("the verification code is wrong", reason="wrong_code")
        method, why = "code", "the subject confirmed the one-time code"
    elif note is not None:
        method, why = "officer", note
    else:
        raise InvalidInput(
            "give the code the subject received, or a note on how an officer verified identity"
        )
    req.verified_at = uow.now
    req.verification_method = method
    req.verification_code_hash = None
    await transition(uow, req, "verified", actor, why)
    await _schedule(uow, req, max_attempts)
    return req


async def verify_committing_attempts(
    ctx, actor: Actor, request_id: str, code: str | None, note: str | None
) -> str:
    """Verify; a wrong code still counts as an attempt (committed), then the error is raised."""
    async with ctx.unit_of_work() as uow:
        try:
            req = await verify(
                uow, actor, request_id, code, note, max_attempts=ctx.settings.dsr.job_max_attempts
            )
        except InvalidInput as exc:
            if exc.extra.get("reason") != "wrong_code":
                raise
            failure = exc
        else:
            return req.id
    raise failure


async def _schedule(uow: UnitOfWork, req: DsrRequest, max_attempts: int) -> None:
    req.run_number += 1
    await queue.enqueue(
        uow.session,
        JOB_KIND[req.type],
        {"request_id": req.id},
        dedupe_key=f"dsr:{req.id}:{req.run_number}",
        max_attempts=max_attempts,
    )


# --- officer actions --------------------------------------------------------------------------------------


def extension_reason(text: str) -> str:
    """The reason for an extension, trimmed; refused when blank or too long (one rule for the API, the CLI
    and the admin pages: the subject is told why their answer is late, so "" or spaces will not do)."""
    reason = text.strip()
    if not reason:
        raise InvalidField(
            "reason", "give a reason for the extension (it is recorded and told to the subject)"
        )
    if len(reason) > MAX_EXTENSION_REASON:
        raise InvalidField(
            "reason", f"the reason for the extension is longer than {MAX_EXTENSION_REASON} characters"
        )
    if not re.search(MULTI_LINE_PATTERN, reason):
        raise InvalidField("reason", "the reason holds control characters (tab and line breaks are fine)")
    return reason


async def extend(uow: UnitOfWork, actor: Actor, request_id: str, months: int, reason: str) -> DsrRequest:
    reason = extension_reason(reason)
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.status in FINAL:
        raise Conflict(
            f"the request is {req.status}; a closed request has no deadline to extend", reason="status"
        )
    if req.extended_months:
        raise Conflict(
            f"the deadline was extended already (by {req.extended_months} month(s)); it can be extended once",
            reason="already_extended",
        )
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidInput(
            f"an extension is 1 or {MAX_EXTENSION_MONTHS} months (GDPR Art. 12(3)); {months} is beyond the limit",
            reason="extension_limit",
        )
    before = req.due_at
    req.due_at = add_months(req.due_at, months)
    req.extended_months, req.extension_reason = months, reason
    record(uow, req, "extended", actor, f"+{months} month(s): {reason}")
    await uow.append_event(
        "dsr.extended",
        actor=actor,
        subject_id=req.subject_id,
        data={
            "request_id": req.id,
            "months": months,
            "from": before.isoformat(),
            "to": req.due_at.isoformat(),
            "reason": reason,
        },
    )
    return req


async def cancel(uow: UnitOfWork, actor: Actor, request_id: str, reason: str) -> DsrRequest:
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.status not in ("received", "verified", "failed") and not (
        req.status == "in_progress" and req.type == "rectification"
    ):
        raise Conflict(
            f"the request is {req.status}; only a received, verified or failed request can be cancelled",
            reason="status",
        )
    req.outcome = "cancelled"
    await transition(uow, req, "rejected", actor, f"cancelled: {reason}")
    return req


async def retry(uow: UnitOfWork, actor: Actor, request_id: str, max_attempts: int) -> DsrRequest:
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.status != "failed":
        raise Conflict(f"the request is {req.status}; only a failed request can be retried", reason="status")
    req.last_error = None
    await transition(uow, req, "verified", actor, "retried by an officer")
    await _schedule(uow, req, max_attempts)
    return req


async def add_note(uow: UnitOfWork, actor: Actor, request_id: str, note: str) -> DsrRequest:
    req = await _get_request(uow.session, request_id, for_update=True)
    record(uow, req, "note", actor, note)
    return req


async def complete_manually(uow: UnitOfWork, actor: Actor, request_id: str, note: str) -> DsrRequest:
    """Close a rectification once an officer has corrected the data."""
    req = await _get_request(uow.session, request_id, for_update=True)
    if req.type != "rectification" or req.status != "in_progress":
        raise Conflict("only a rectification in progress is completed by an officer", reason="status")
    req.outcome = "rectified"
    await transition(uow, req, "completed", actor, note)
    return req


async def mark_failed(ctx, request_id: str, error: str) -> None:
    async with ctx.unit_of_work() as uow:
        req = await _get_request(uow.session, request_id, for_update=True)
        if req.status in FINAL:
            return
        req.last_error = error[-2000:]
        await transition(
            uow, req, "failed", WORKER, "the job failed after its retries: " + error.splitlines()[0][:300]
        )


# --- legal hold -------------------------------------------------------------------------------------------


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


# --- the worker's DSR actions (restriction, objection, rectification) -------------------------------------


async def run_action(ctx, job: Job, worker_id: str) -> None:
    from prefcenter.store.models import Topic
    from prefcenter.subjects import service as subjects
    from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate

    async with ctx.unit_of_work() as uow:
        req = await _get_request(uow.session, job.payload["request_id"], for_update=True)
        if req.status not in ("verified",):
            await queue.mark_done(uow.session, [job.id], worker_id)
            return
        await transition(uow, req, "in_progress", WORKER, f"{req.type} started")
        if req.type == "rectification":
            record(
                uow, req, "note", WORKER, "awaiting an officer: correct the data, then complete the request"
            )
        else:
            if req.type == "restriction":
                body = PreferencesUpdate(
                    touchpoint="api", reason=f"restriction request {req.id}", do_not_contact=True
                )
                req.outcome = "restricted"
            else:
                topics = (
                    await uow.session.execute(select(Topic).where(Topic.legal_basis == "legitimate_interest"))
                ).scalars()
                items = [
                    PreferenceItem(channel=c, topic=t.key, status="opted_out")
                    for t in topics
                    for c in t.channels
                ]
                body = PreferencesUpdate(touchpoint="api", reason=f"objection request {req.id}", items=items)
                req.outcome = "objection_recorded"
            await subjects.update_preferences(uow, WORKER, req.subject_id, body, None)
            await transition(uow, req, "completed", WORKER, req.outcome)
        await queue.mark_done(uow.session, [job.id], worker_id)


# --- the sweeper ------------------------------------------------------------------------------------------


async def complete_if_resolved(uow: UnitOfWork, req: DsrRequest, *, deadline_passed: bool = False) -> bool:
    tasks = (
        (await uow.session.execute(select(DsrSystemTask).where(DsrSystemTask.request_id == req.id)))
        .scalars()
        .all()
    )
    pending = [t for t in tasks if t.status == "pending"]
    if pending and not deadline_passed:
        return False
    for task in pending:
        task.status, task.resolved_at = "no_response", uow.now
        task.detail = "no acknowledgement before the deadline"
    if req.status != "waiting_on_systems":
        return False
    summary = ", ".join(sorted(f"{t.system_id[:8]}={t.status}" for t in tasks)) or "no downstream systems"
    await transition(uow, req, "completed", WORKER, f"downstream outcomes: {summary}")
    # The erasure task payloads held the external id for the systems; they are no longer needed.
    from prefcenter.webhooks.outbox import scrub_subject_payloads

    await scrub_subject_payloads(uow.session, req.subject_id)
    return True


async def sweep(ctx) -> int:
    """Close erasures whose acknowledgement deadline passed; drop expired exports. Returns work done."""
    now = utcnow()
    done = 0
    async with ctx.db.read_session() as session:
        due = (
            (
                await session.execute(
                    select(DsrRequest.id).where(
                        DsrRequest.status == "waiting_on_systems", DsrRequest.systems_deadline < now
                    )
                )
            )
            .scalars()
            .all()
        )
        expired = (
            (await session.execute(select(DsrExport.id).where(DsrExport.expires_at < now).limit(100)))
            .scalars()
            .all()
        )
    for request_id in due:
        async with ctx.unit_of_work() as uow:
            req = await _get_request(uow.session, request_id, for_update=True)
            if await complete_if_resolved(uow, req, deadline_passed=True):
                done += 1
    if expired:
        async with ctx.db.write_session() as session:
            await session.execute(delete(ExportLink).where(ExportLink.export_id.in_(expired)))
            await session.execute(delete(DsrExport).where(DsrExport.id.in_(expired)))
        done += len(expired)
    return done


# --- reads ------------------------------------------------------------------------------------------------


def _summary(req: DsrRequest, now: datetime) -> DsrRead:
    return DsrRead(
        id=req.id,
        type=req.type,
        subject_id=req.subject_id,
        addressed_by=req.addressed_by,
        status=req.status,
        outcome=req.outcome,
        received_at=req.received_at,
        due_at=req.due_at,
        overdue=req.status in OPEN and req.due_at < now,
        extended_months=req.extended_months,
        extension_reason=req.extension_reason,
        verified_at=req.verified_at,
        verification_method=req.verification_method,
        completed_at=req.completed_at,
        duplicates=req.duplicates,
        last_error=req.last_error,
    )


async def read_request(session: AsyncSession, request_id: str) -> DsrRead:
    req = await _get_request(session, request_id)
    out = _summary(req, utcnow())
    history = (
        await session.execute(
            select(DsrHistory).where(DsrHistory.request_id == req.id).order_by(DsrHistory.id)
        )
    ).scalars()
    out.history = [
        HistoryRead(
            at=h.at,
            action=h.action,
            from_status=h.from_status,
            to_status=h.to_status,
            actor_type=h.actor_type,
            actor_id=h.actor_id,
            reason=h.reason,
        )
        for h in history
    ]
    tasks = await session.execute(
        select(DsrSystemTask, DownstreamSystem.name)
        .join(DownstreamSystem, DownstreamSystem.id == DsrSystemTask.system_id)
        .where(DsrSystemTask.request_id == req.id)
        .order_by(DownstreamSystem.name)
    )
    out.systems = [
        SystemOutcome(
            system_id=t.system_id,
            system_name=name,
            status=t.status,
            detail=t.detail,
            resolved_at=t.resolved_at,
        )
        for t, name in tasks.all()
    ]
    export = (
        await session.execute(select(DsrExport).where(DsrExport.request_id == req.id))
    ).scalar_one_or_none()
    if export is not None:
        out.export = ExportInfo(
            id=export.id,
            schema_version=export.schema_version,
            size_bytes=export.size_bytes,
            created_at=export.created_at,
            expires_at=export.expires_at,
        )
    return out


def _encode_cursor(req: DsrRequest) -> str:
    return base64.urlsafe_b64encode(f"{req.received_at.isoformat()}|{req.id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, rid = raw.partition("|")
        return datetime.fromisoformat(at), rid
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API returned") from None


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None = None,
    type: str | None = None,
    overdue: bool | None = None,
    subject_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DsrPage:
    now = utcnow()
    statement = select(DsrRequest)
    if status:
        statement = statement.where(DsrRequest.status == status)
    if type:
        statement = statement.where(DsrRequest.type == type)
    if subject_id:
        statement = statement.where(DsrRequest.subject_id == subject_id)
    if overdue is True:
        statement = statement.where(DsrRequest.status.in_(OPEN), DsrRequest.due_at < now)
    elif overdue is False:
        statement = statement.where(or_(DsrRequest.status.in_(FINAL), DsrRequest.due_at >= now))
    if cursor:
        at, rid = _decode_cursor(cursor)
        statement = statement.where(
            or_(DsrRequest.received_at < at, and_(DsrRequest.received_at == at, DsrRequest.id < rid))
        )
    rows = (
        (
            await session.execute(
                statement.order_by(DsrRequest.received_at.desc(), DsrRequest.id.desc()).limit(limit + 1)
            )
        )
        .scalars()
        .all()
    )
    items = [_summary(r, now) for r in rows[:limit]]
    return DsrPage(items=items, next_cursor=_encode_cursor(rows[limit - 1]) if len(rows) > limit else None)
