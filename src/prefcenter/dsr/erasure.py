"""Erasure by crypto-shredding (DESIGN section 4), many subjects per transaction.

For each request in the batch, in ONE transaction (so a killed worker leaves nothing half-erased):
1. a subject under legal hold: the request is rejected with the hold's reason; nothing is touched;
2. otherwise the keyed hash of every identity goes to ``erasure_suppressions``; identities,
   preferences, consents (with their sealed evidence), interactions (with their sealed summaries), exports
   and the subject's data key are deleted; feedback loses its links to the person and its sealed comment
   and keeps the bare score;
   ``external_id`` and the settings projection are cleared; stored idempotent responses naming the
   subject are dropped; ``subject.erased`` is appended (the chain keeps its ciphertext, now unreadable);
3. one task per active downstream system is written to the outbox, and the request waits in
   ``waiting_on_systems`` until each acknowledges or the deadline passes (or completes at once when
   there are no systems);
4. the jobs are marked done in the same transaction.
A job run again after a crash finds its request no longer ``verified`` and does nothing.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import delete, select, update

from prefcenter.dsr.lifecycle import WORKER, transition
from prefcenter.jobs import queue
from prefcenter.store.models import Consent, IdempotencyRecord, Identity, Preference, Subject, SubjectKey
from prefcenter.store.models_dsr import DsrExport, DsrRequest, ErasureSuppression, ExportLink, Job
from prefcenter.store.models_feedback import Feedback
from prefcenter.store.models_interactions import Interaction
from prefcenter.store.shredding import answers_naming_any, truncate_sqlite_wal, zero_deleted_pages
from prefcenter.store.upsert import insert_into
from prefcenter.webhooks.outbox import add_erasure_tasks

RUNNABLE = ("verified", "in_progress")
log = structlog.get_logger("prefcenter.erasure")


async def erase_requests(ctx, jobs: list[Job], worker_id: str) -> None:
    request_ids = [j.payload["request_id"] for j in jobs]
    erase_ids: list[str] = []
    external_ids: dict[str, str | None] = {}
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await zero_deleted_pages(session)
        requests = (
            (
                await session.execute(
                    select(DsrRequest)
                    .where(DsrRequest.id.in_(request_ids))
                    .order_by(DsrRequest.id)
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        runnable = [r for r in requests if r.status in RUNNABLE and r.type == "erasure"]
        subject_ids = sorted({r.subject_id for r in runnable})
        subjects = {
            s.id: s
            for s in (
                await session.execute(select(Subject).where(Subject.id.in_(subject_ids)).with_for_update())
            ).scalars()
        }
        to_erase: list[DsrRequest] = []
        for req in runnable:
            subject = subjects.get(req.subject_id)
            if req.status == "verified":
                await transition(uow, req, "in_progress", WORKER, "erasure started")
            if subject is not None and subject.legal_hold and subject.erased_at is None:
                req.outcome = "legal_hold"
                await transition(
                    uow, req, "rejected", WORKER, f"the subject is under legal hold: {subject.legal_hold}"
                )
                continue
            to_erase.append(req)

        erase_ids = sorted({r.subject_id for r in to_erase if subjects.get(r.subject_id) is not None})
        if erase_ids:
            identities = (
                await session.execute(
                    select(Identity.subject_id, Identity.kind, Identity.lookup_hash).where(
                        Identity.subject_id.in_(erase_ids)
                    )
                )
            ).all()
            request_of = {r.subject_id: r.id for r in to_erase}
            if identities:
                await session.execute(
                    insert_into(session, ErasureSuppression)
                    .values(
                        [
                            dict(lookup_hash=h, kind=k, erased_at=uow.now, request_id=request_of.get(sid))
                            for sid, k, h in identities
                        ]
                    )
                    .on_conflict_do_nothing(index_elements=["lookup_hash"])
                )
            kinds_of: dict[str, list[str]] = {}
            for sid, kind, _ in identities:
                kinds_of.setdefault(sid, []).append(kind)
            exports = select(DsrExport.id).where(DsrExport.subject_id.in_(erase_ids))
            await session.execute(delete(ExportLink).where(ExportLink.export_id.in_(exports)))
            await session.execute(delete(DsrExport).where(DsrExport.subject_id.in_(erase_ids)))
            await session.execute(delete(Identity).where(Identity.subject_id.in_(erase_ids)))
            await session.execute(delete(Preference).where(Preference.subject_id.in_(erase_ids)))
            await session.execute(delete(Consent).where(Consent.subject_id.in_(erase_ids)))
            await session.execute(delete(Interaction).where(Interaction.subject_id.in_(erase_ids)))
            await session.execute(  # the bare score stays for aggregates; nothing leads back to the person
                update(Feedback)
                .where(Feedback.subject_id.in_(erase_ids))
                .values(subject_id=None, interaction_id=None, comment_sealed=None, actor_id=None)
            )
            await session.execute(delete(SubjectKey).where(SubjectKey.subject_id.in_(erase_ids)))
            await session.execute(delete(IdempotencyRecord).where(answers_naming_any(session, erase_ids)))
            external_ids = {sid: subjects[sid].external_id for sid in erase_ids}
            for sid in erase_ids:
                subject = subjects[sid]
                if subject.erased_at is not None:
                    continue
                subject.erased_at = uow.now
                subject.external_id = None
                subject.language = subject.preferred_channel = subject.frequency = None
                subject.do_not_contact = True
                subject.revision += 1
            await session.flush()
            for req in to_erase:
                if subjects.get(req.subject_id) is None:
                    continue
                await uow.append_event(
                    "subject.erased",
                    actor=WORKER,
                    subject_id=req.subject_id,
                    data={
                        "request_id": req.id,
                        "identities_suppressed": len(kinds_of.get(req.subject_id, [])),
                        "identity_kinds": sorted(set(kinds_of.get(req.subject_id, []))),
                    },
                )

        deadline = uow.now + timedelta(seconds=ctx.settings.dsr.ack_timeout_seconds)
        waiting = await add_erasure_tasks(uow, to_erase, external_ids, deadline)
        for req in to_erase:
            req.outcome = "erased"
            if req.id in waiting:
                req.systems_deadline = deadline
                await transition(
                    uow,
                    req,
                    "waiting_on_systems",
                    WORKER,
                    f"erased here; waiting for {waiting[req.id]} system(s)",
                )
            else:
                await transition(uow, req, "completed", WORKER, "erased; no downstream systems registered")
        await session.flush()
        await queue.mark_done(session, [j.id for j in jobs], worker_id)
    if erase_ids:
        await truncate_sqlite_wal(ctx.db)
