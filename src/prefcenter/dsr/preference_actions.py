"""The worker's DSR actions on preferences: a restriction sets do-not-contact, an objection opts out of
every legitimate-interest topic; a rectification waits for an officer to correct the data and complete it."""

from __future__ import annotations

from sqlalchemy import select

from prefcenter.dsr.lifecycle import WORKER, get_request, record, transition
from prefcenter.jobs import queue
from prefcenter.store.models import Topic
from prefcenter.store.models_dsr import Job
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate


async def run_action(ctx, job: Job, worker_id: str) -> None:

    async with ctx.unit_of_work() as uow:
        req = await get_request(uow.session, job.payload["request_id"], for_update=True)
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
