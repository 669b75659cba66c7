"""The durable queue: dedupe, leases, retries with backoff, dead letter, the DSR failure path."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select, update

from prefcenter.jobs import queue
from prefcenter.jobs.handlers import Handler
from prefcenter.store.models_dsr import Job
from prefcenter.worker import HANDLERS, build_worker
from tests.dsr.support import drain, dsr_headers, fast_ctx, get_request, verified_request


async def _enqueue(api, kind: str, n: int = 1, **kw) -> list[int]:
    async with api.ctx.db.write_session() as session:
        for i in range(n):
            await queue.enqueue(session, kind, {"i": i}, **kw)
    async with api.ctx.db.read_session() as session:
        return list(
            (await session.execute(select(Job.id).where(Job.kind == kind).order_by(Job.id))).scalars()
        )


async def _job(api, job_id: int) -> Job:
    async with api.ctx.db.read_session() as session:
        return await session.get(Job, job_id)


def test_backoff_grows_exponentially_and_is_capped():
    assert 0.8 <= queue.backoff_seconds(1, 1.0) <= 1.2
    assert 6.4 <= queue.backoff_seconds(4, 1.0) <= 9.6
    assert queue.backoff_seconds(40, 1.0) <= queue.MAX_BACKOFF_SECONDS * 1.2


async def test_dedupe_key_makes_enqueue_idempotent(api):
    kind = f"test.dedupe.{uuid.uuid4().hex[:6]}"
    ids = await _enqueue(api, kind, 3, dedupe_key=f"once-{kind}")
    assert len(ids) == 1


async def test_retry_with_backoff_then_dead_letter_with_last_error(api):
    kind = f"test.fail.{uuid.uuid4().hex[:6]}"
    calls = []

    async def always_fails(ctx, jobs, worker_id):
        calls.append(jobs[0].attempts)
        raise RuntimeError("downstream exploded")

    (job_id,) = await _enqueue(api, kind, max_attempts=3)
    worker = build_worker(
        fast_ctx(api.ctx, job_backoff_seconds=0.02), handlers={kind: Handler(kind, always_fails)}
    )
    for _ in range(200):
        await worker.run_single()
        if (await _job(api, job_id)).status == queue.DEAD:
            break
        await asyncio.sleep(0.01)
    job = await _job(api, job_id)
    assert job.status == queue.DEAD and job.attempts == 3 and calls == [1, 2, 3]
    assert "downstream exploded" in job.last_error and job.locked_by is None


async def test_flaky_job_succeeds_on_retry_and_one_bad_job_does_not_sink_its_batch(api):
    kind = f"test.flaky.{uuid.uuid4().hex[:6]}"
    seen: dict[int, int] = {}

    async def flaky(ctx, jobs, worker_id):
        for job in jobs:
            seen[job.payload["i"]] = seen.get(job.payload["i"], 0) + 1
        if any(j.payload["i"] == 0 and j.attempts == 1 for j in jobs):
            raise RuntimeError("first try of job 0 fails")

    ids = await _enqueue(api, kind, 5)
    worker = build_worker(
        fast_ctx(api.ctx, job_backoff_seconds=0.01), handlers={kind: Handler(kind, flaky, batch=10)}
    )
    for _ in range(100):
        await worker.run_batch_kind(worker.handlers[kind])
        statuses = [(await _job(api, i)).status for i in ids]
        if all(s == queue.DONE for s in statuses):
            break
        await asyncio.sleep(0.02)
    assert all(s == queue.DONE for s in statuses)
    assert (await _job(api, ids[0])).attempts == 2 and (await _job(api, ids[1])).attempts == 1


async def test_expired_lease_is_claimed_again_and_the_old_worker_cannot_finish_it(api):
    kind = f"test.lease.{uuid.uuid4().hex[:6]}"
    (job_id,) = await _enqueue(api, kind)
    first = await queue.claim(api.ctx.db, "worker-a", 0.05, (kind,))
    assert first.id == job_id and await queue.claim(api.ctx.db, "worker-b", 5, (kind,)) is None
    await asyncio.sleep(0.1)
    second = await queue.claim(api.ctx.db, "worker-b", 5, (kind,))
    assert second.id == job_id and second.attempts == 2 and "worker-a" in second.last_error
    assert await queue.complete(api.ctx.db, [job_id], "worker-a") == 0
    assert await queue.complete(api.ctx.db, [job_id], "worker-b") == 1


async def test_dead_job_fails_the_request_and_an_officer_retries_it(api):
    subject = await api.new_subject()
    req = await verified_request(api, subject["id"], "portability")
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(Job).where(Job.payload["request_id"].as_string() == req["id"]).values(max_attempts=1)
        )

    async def broken(ctx, jobs, worker_id):
        raise RuntimeError("disk full")

    handlers = {
        **HANDLERS,
        "dsr.export": Handler("dsr.export", broken, on_dead=HANDLERS["dsr.export"].on_dead),
    }
    await build_worker(fast_ctx(api.ctx), handlers=handlers).drain()
    failed = await get_request(api, req["id"])
    assert failed["status"] == "failed" and "disk full" in failed["last_error"], failed
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/retry", headers=await dsr_headers(api))
    assert r.status_code == 200 and r.json()["status"] == "verified"
    await drain(api)
    assert (await get_request(api, req["id"]))["status"] == "completed"
