"""A GDPR request's lifecycle: loading it, its history rows, status transitions, queueing its work, and
the officer actions that move it (cancel, retry, note, complete) or the worker's verdict that it failed.

Statuses: received -> verified -> in_progress -> waiting_on_systems -> completed | rejected | failed.
Every change is a ``dsr_history`` row and a ``dsr.*`` event in the hash-chained log, with actor and reason.
Which action applies in which state is ``dsr.actions``' rule; the work itself runs in the job worker
(``dsr.erasure``, ``dsr.export``, ``dsr.action``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.dsr.actions import FINAL, ensure_allowed
from prefcenter.errors import NotFound
from prefcenter.jobs import queue
from prefcenter.store.models_dsr import DsrHistory, DsrRequest
from prefcenter.store.unit_of_work import Actor, UnitOfWork

WORKER = Actor("system", "worker")
JOB_KIND = {
    "erasure": "dsr.erasure",
    "access": "dsr.export",
    "portability": "dsr.export",
    "rectification": "dsr.action",
    "restriction": "dsr.action",
    "objection": "dsr.action",
}


async def get_request(session: AsyncSession, request_id: str, *, for_update: bool = False) -> DsrRequest:
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


async def schedule_work(uow: UnitOfWork, req: DsrRequest, max_attempts: int) -> None:
    req.run_number += 1
    await queue.enqueue(
        uow.session,
        JOB_KIND[req.type],
        {"request_id": req.id},
        dedupe_key=f"dsr:{req.id}:{req.run_number}",
        max_attempts=max_attempts,
    )


async def cancel(uow: UnitOfWork, actor: Actor, request_id: str, reason: str) -> DsrRequest:
    req = await get_request(uow.session, request_id, for_update=True)
    ensure_allowed(req, "cancel")
    req.outcome = "cancelled"
    await transition(uow, req, "rejected", actor, f"cancelled: {reason}")
    return req


async def retry(uow: UnitOfWork, actor: Actor, request_id: str, max_attempts: int) -> DsrRequest:
    req = await get_request(uow.session, request_id, for_update=True)
    ensure_allowed(req, "retry")
    req.last_error = None
    await transition(uow, req, "verified", actor, "retried by an officer")
    await schedule_work(uow, req, max_attempts)
    return req


async def add_note(uow: UnitOfWork, actor: Actor, request_id: str, note: str) -> DsrRequest:
    req = await get_request(uow.session, request_id, for_update=True)
    record(uow, req, "note", actor, note)
    return req


async def complete_manually(uow: UnitOfWork, actor: Actor, request_id: str, note: str) -> DsrRequest:
    """Close a rectification once an officer has corrected the data."""
    req = await get_request(uow.session, request_id, for_update=True)
    ensure_allowed(req, "complete")
    req.outcome = "rectified"
    await transition(uow, req, "completed", actor, note)
    return req


async def mark_failed(ctx, request_id: str, error: str) -> None:
    async with ctx.unit_of_work() as uow:
        req = await get_request(uow.session, request_id, for_update=True)
        if req.status in FINAL:
            return
        req.last_error = error[-2000:]
        await transition(
            uow, req, "failed", WORKER, "the job failed after its retries: " + error.splitlines()[0][:300]
        )
