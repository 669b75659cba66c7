"""A job whose worker is killed on every attempt: when the lease of the last one runs out, the kind's
on-dead handler runs, so the erasure request becomes ``failed`` with the reason, shows on the admin
dashboard, and an officer's retry runs it."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from prefcenter.context import AppContext
from prefcenter.dsr import intake, reads, verification
from prefcenter.dsr.schemas import DsrCreate
from prefcenter.jobs import queue
from prefcenter.store.models_dsr import Job
from prefcenter.store.unit_of_work import Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import IdentityWrite, SubjectCreate
from prefcenter.worker import build_worker
from tests.admin.support import signed_in
from tests.conftest import close_api, open_api
from tests.dsr.support import fast_ctx
from tests.jobs.test_crash import start_worker, worker_env

OFFICER = Actor("agent", "officer-1")
ATTEMPTS = 2

# A real `prefcenter worker` whose erasure never finishes: it holds the job (its heartbeat keeps the
# lease) until the test kills it with SIGKILL.
STUCK_WORKER = """
import asyncio, sys
import prefcenter.dsr.erasure as erasure

async def never_finishes(ctx, jobs, worker_id):
    await asyncio.sleep(3600)

erasure.erase_requests = never_finishes
from prefcenter.cli import main
sys.exit(main(["worker", "--no-webhooks"]))
"""


def start_stuck_worker(settings) -> subprocess.Popen:
    log_path = Path(settings.var_dir) / f"stuck-worker-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK_WORKER],
        env=worker_env(settings),
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log_path
    return proc


async def _job(ctx, request_id: str) -> Job:
    async with ctx.db.read_session() as session:
        rows = (await session.execute(select(Job).where(Job.kind == "dsr.erasure"))).scalars().all()
    return next(j for j in rows if j.payload["request_id"] == request_id and j.status != queue.DONE)


async def _wait_for_attempt(ctx, request_id: str, attempt: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = await _job(ctx, request_id)
        if job.status == queue.RUNNING and job.attempts == attempt:
            return
        assert proc.poll() is None, proc.log_path.read_text()[-3000:]
        await asyncio.sleep(0.1)
    raise AssertionError(f"attempt {attempt} never started: {proc.log_path.read_text()[-3000:]}")


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_erasure_whose_worker_is_killed_on_every_attempt_fails_visibly_and_retries(new_backend, engine):
    settings = new_backend(engine)
    ctx = AppContext.build(settings)
    try:
        async with ctx.unit_of_work() as uow:
            subject = await subjects.create_subject(
                uow,
                OFFICER,
                SubjectCreate(identities=[IdentityWrite(kind="email", value="killed-twice@example.com")]),
            )
            req, _ = await intake.create_request(
                uow, OFFICER, DsrCreate(type="erasure", subject_id=subject.id)
            )
            await uow.session.flush()
            await verification.verify(
                uow, OFFICER, req.id, None, "checked at the desk", max_attempts=ATTEMPTS
            )
        request_id = req.id

        for attempt in range(1, ATTEMPTS + 1):
            proc = start_stuck_worker(settings)
            try:
                await _wait_for_attempt(ctx, request_id, attempt, proc)
                await asyncio.sleep(0.5)  # mid-attempt, heartbeats going
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            await asyncio.sleep(1.2)  # the killed worker's lease (1 s) runs out

        final = start_worker(settings, "--drain", "--no-webhooks")
        await asyncio.to_thread(final.wait, 120)
        assert final.returncode == 0, final.log_path.read_text()[-3000:]

        async with ctx.db.read_session() as session:
            failed = await reads.read_request(session, request_id)
        assert failed.status == "failed", failed
        assert "stopped while running it" in failed.last_error, failed.last_error
        last = failed.history[-1]
        assert (last.from_status, last.to_status) == ("verified", "failed")
        assert "stopped while running it" in last.reason
        job = await _job(ctx, request_id)
        assert job.status == queue.DEAD and job.attempts == ATTEMPTS and job.locked_by is None

        api = await open_api(settings)
        try:
            async with signed_in(api, "officer") as officer:
                dashboard = await officer.page("/admin")
                assert "1 failed" in dashboard and f"/admin/dsr/{request_id}" in dashboard
                assert "stopped while running it" in dashboard
            r = await api.client.post(
                f"/v1/dsr-requests/{request_id}/retry", headers=await api.headers("dsr:manage")
            )
            assert r.status_code == 200 and r.json()["status"] == "verified", r.text
            assert r.json()["last_error"] is None
        finally:
            await close_api(api)

        await build_worker(fast_ctx(ctx), webhooks=False).drain()
        async with ctx.db.read_session() as session:
            done = await reads.read_request(session, request_id)
        assert done.status == "completed" and done.outcome == "erased", done
    finally:
        await ctx.db.dispose()
