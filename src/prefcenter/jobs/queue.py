"""The durable job queue in the database (DESIGN section 5).

- ``enqueue`` runs inside the caller's transaction, so a job exists exactly when the change that
  needs it commits; a ``dedupe_key`` makes enqueueing idempotent.
- ``claim`` takes one due job with a lease: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (many workers),
  and on SQLite the claim runs inside ``BEGIN IMMEDIATE`` (one writer at a time), so two workers can
  never claim the same job. A job whose lease ran out (its worker died) is due again.
- ``fail`` puts a job back with exponential backoff, or into the dead-letter state with its last error.
- ``claim_expired`` hands over the jobs whose lease ran out on their last allowed attempt, so the worker
  runs the kind's on-dead handler before it dead-letters them (nothing dies silently).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.database import Database
from prefcenter.store.models_dsr import Job
from prefcenter.store.unit_of_work import utcnow
from prefcenter.store.upsert import insert_into

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(attempts: int, base: float) -> float:
    """Exponential backoff with +-20% jitter: base, 2*base, 4*base, ... capped at an hour."""
    delay = min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF_SECONDS)
    return delay * random.uniform(0.8, 1.2)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict,
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a job in the caller's transaction; a second enqueue with the same ``dedupe_key`` is a no-op."""
    now = utcnow()
    values = dict(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        status=QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or now,
        created_at=now,
    )
    statement = insert_into(session, Job).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(statement)


def _due(now: datetime, kinds: tuple[str, ...] | None):
    condition = or_(
        and_(Job.status == QUEUED, Job.run_after <= now),
        and_(Job.status == RUNNING, Job.locked_until < now, Job.attempts < Job.max_attempts),
    )
    if kinds:
        condition = and_(condition, Job.kind.in_(kinds))
    return condition


async def claim_batch(
    db: Database, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None, limit: int = 1
) -> list[Job]:
    """Lease up to ``limit`` due jobs to ``worker_id``. A job whose lease expired on its last allowed
    attempt (its worker died each time) is not run again: ``claim_expired`` hands it over for burial."""
    async with db.write_session() as session:
        now = utcnow()
        rows = (
            (
                await session.execute(
                    select(Job)
                    .where(_due(now, kinds))
                    .order_by(Job.run_after, Job.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        claimed = []
        for job in rows:
            if job.status == RUNNING:
                job.last_error = f"lease of worker {job.locked_by} expired (worker stopped?)"
            job.status = RUNNING
            job.attempts += 1
            job.locked_by = worker_id
            job.locked_until = now + timedelta(seconds=lease_seconds)
            claimed.append(job)
        return claimed


async def claim(
    db: Database, worker_id: str, lease_seconds: float, kinds: tuple[str, ...] | None = None
) -> Job | None:
    jobs = await claim_batch(db, worker_id, lease_seconds, kinds, 1)
    return jobs[0] if jobs else None


async def claim_expired(
    db: Database, worker_id: str, lease_seconds: float, kinds: tuple[str, ...], limit: int = 100
) -> list[Job]:
    """Lease to ``worker_id`` the jobs whose lease ran out on their last allowed attempt (their worker
    stopped every time), with that as ``last_error``. The caller runs the kind's on-dead handler, then
    ``fail`` dead-letters them; should it stop first, the lease runs out and the next worker does it."""
    async with db.write_session() as session:
        now = utcnow()
        rows = (
            (
                await session.execute(
                    select(Job)
                    .where(
                        Job.status == RUNNING,
                        Job.locked_until < now,
                        Job.attempts >= Job.max_attempts,
                        Job.kind.in_(kinds),
                    )
                    .order_by(Job.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for job in rows:
            job.last_error = (
                f"attempt {job.attempts} of {job.max_attempts} did not finish: worker {job.locked_by} "
                "stopped while running it (its lease ran out)"
            )
            job.locked_by = worker_id
            job.locked_until = now + timedelta(seconds=lease_seconds)
        return list(rows)


async def extend_leases(db: Database, job_ids: list[int], worker_id: str, lease_seconds: float) -> int:
    async with db.write_session() as session:
        result = await session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.locked_by == worker_id, Job.status == RUNNING)
            .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
        )
        return result.rowcount


async def mark_done(session: AsyncSession, job_ids: list[int], worker_id: str) -> int:
    """Finish jobs in the caller's transaction (so a handler's last write and ``done`` commit together)."""
    result = await session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.locked_by == worker_id, Job.status == RUNNING)
        .values(status=DONE, locked_by=None, locked_until=None, finished_at=utcnow())
    )
    return result.rowcount


async def complete(db: Database, job_ids: list[int], worker_id: str) -> int:
    async with db.write_session() as session:
        return await mark_done(session, job_ids, worker_id)


async def fail(db: Database, job: Job, worker_id: str, error: str, backoff_base: float) -> str:
    """Record a failed attempt: back to ``queued`` after a backoff, or ``dead`` after the last attempt."""
    async with db.write_session() as session:
        now = utcnow()
        if job.attempts >= job.max_attempts:
            values = dict(status=DEAD, finished_at=now)
        else:
            values = dict(
                status=QUEUED, run_after=now + timedelta(seconds=backoff_seconds(job.attempts, backoff_base))
            )
        await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.locked_by == worker_id, Job.status == RUNNING)
            .values(locked_by=None, locked_until=None, last_error=error[-4000:], **values)
        )
        return values["status"]


async def counts(session: AsyncSession) -> dict[str, int]:
    from sqlalchemy import func

    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: n for status, n in rows.all()}
