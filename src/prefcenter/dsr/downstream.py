"""Downstream systems' part of a request: it completes when every system answered or its acknowledgement
deadline passed (then unanswered tasks are recorded as ``no_response``); the sweep also drops expired exports."""

from __future__ import annotations

from sqlalchemy import delete, select

from prefcenter.dsr.lifecycle import WORKER, get_request, transition
from prefcenter.store.models_dsr import DsrExport, DsrRequest, DsrSystemTask, ExportLink
from prefcenter.store.unit_of_work import UnitOfWork, utcnow
from prefcenter.webhooks.outbox import scrub_subject_payloads


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
            req = await get_request(uow.session, request_id, for_update=True)
            if await complete_if_resolved(uow, req, deadline_passed=True):
                done += 1
    if expired:
        async with ctx.db.write_session() as session:
            await session.execute(delete(ExportLink).where(ExportLink.export_id.in_(expired)))
            await session.execute(delete(DsrExport).where(DsrExport.id.in_(expired)))
        done += len(expired)
    return done
