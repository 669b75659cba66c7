"""Real worker processes: SIGKILL in the middle of erasures and exports, then restart; two workers
on one PostgreSQL share 1,000 jobs; SIGTERM stops a worker gracefully."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prefcenter.audit.service import verify_log
from prefcenter.context import AppContext
from prefcenter.dsr import intake, verification
from prefcenter.dsr.schemas import DsrCreate
from prefcenter.jobs import queue
from prefcenter.store.models import Event, Identity, SubjectKey
from prefcenter.store.models_dsr import DsrExport, DsrHistory, DsrRequest, Job
from prefcenter.store.unit_of_work import Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import IdentityWrite, PreferenceItem, PreferencesUpdate, SubjectCreate

OFFICER = Actor("agent", "officer-1")
PREFCENTER = str(Path(sys.executable).with_name("prefcenter"))


def worker_env(settings, **extra) -> dict[str, str]:
    return {
        **os.environ,
        "PREFCENTER_DATABASE_URL": settings.database.url,
        "PREFCENTER_VAR_DIR": str(settings.var_dir),
        "PREFCENTER_MASTER_KEY_FILE": str(settings.keys.master_key_file),
        "PREFCENTER_PEPPER_FILE": str(settings.keys.pepper_file),
        "PREFCENTER_SIGNING_KEY_FILE": str(settings.keys.signing_key_file),
        "PREFCENTER_JOB_LEASE": "1",
        "PREFCENTER_WORKER_POLL": "0.05",
        "PREFCENTER_LOG_FORMAT": "json",
        **extra,
    }


def start_worker(settings, *args, log_path: Path | None = None, **extra) -> subprocess.Popen:
    """Logs go to a file: a pipe nobody reads fills up and blocks the worker mid-write."""
    log_path = log_path or Path(settings.var_dir) / f"worker-{time.monotonic_ns()}.log"
    out = log_path.open("w")
    proc = subprocess.Popen(
        [PREFCENTER, "worker", *args],
        env=worker_env(settings, **extra),
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.log_path = log_path
    return proc


async def _seed(
    ctx: AppContext, erasures: int, exports: int, events_each: int
) -> tuple[list[str], list[str]]:
    erase_ids, export_ids = [], []
    async with ctx.unit_of_work() as uow:
        for i in range(erasures + exports):
            s = await subjects.create_subject(
                uow,
                OFFICER,
                SubjectCreate(
                    identities=[IdentityWrite(kind="email", value=f"crash-{i}@example.com")],
                    external_id=f"c-{i}",
                ),
            )
            if i >= erasures:
                for n in range(events_each // 2):
                    status = "opted_in" if n % 2 == 0 else "opted_out"
                    await subjects.update_preferences(
                        uow,
                        OFFICER,
                        s.id,
                        PreferencesUpdate(
                            touchpoint="web", items=[PreferenceItem(channel="*", topic="*", status=status)]
                        ),
                        None,
                    )
            kind = "erasure" if i < erasures else "access"
            req, _ = await intake.create_request(uow, OFFICER, DsrCreate(type=kind, subject_id=s.id))
            await uow.session.flush()
            await verification.verify(uow, OFFICER, req.id, None, "checked", max_attempts=20)
            (erase_ids if i < erasures else export_ids).append(req.id)
    return erase_ids, export_ids


async def _open_jobs(ctx) -> int:
    async with ctx.db.read_session() as session:
        return (
            await session.execute(
                select(func.count()).select_from(Job).where(Job.status.in_(["queued", "running"]))
            )
        ).scalar()


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_kill_9_mid_erasure_and_export_then_restart_completes_exactly_once(new_backend, engine):
    settings = new_backend(engine)
    ctx = AppContext.build(settings)
    try:
        erase_ids, export_ids = await _seed(ctx, erasures=300, exports=8, events_each=120)
        kills = 0
        rng = random.Random(7)
        for _ in range(3):
            if not await _open_jobs(ctx):
                break
            proc = start_worker(settings)
            await asyncio.sleep(rng.uniform(1.2, 2.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            await asyncio.sleep(1.1)  # the killed worker's leases run out
        assert kills >= 1
        final = start_worker(settings, "--drain")
        final.wait(timeout=120)
        assert final.returncode == 0, final.log_path.read_text()[-3000:]

        async with ctx.db.read_session() as session:
            requests = {r.id: r for r in (await session.execute(select(DsrRequest))).scalars()}
            assert all(requests[i].status == "completed" for i in erase_ids + export_ids), {
                r.status for r in requests.values()
            }
            completions = dict(
                (
                    await session.execute(
                        select(DsrHistory.request_id, func.count())
                        .where(DsrHistory.to_status == "completed")
                        .group_by(DsrHistory.request_id)
                    )
                ).all()
            )
            assert all(completions[i] == 1 for i in erase_ids + export_ids)
            erased = dict(
                (
                    await session.execute(
                        select(Event.subject_id, func.count())
                        .where(Event.type == "subject.erased")
                        .group_by(Event.subject_id)
                    )
                ).all()
            )
            erased_subjects = {requests[i].subject_id for i in erase_ids}
            assert set(erased) == erased_subjects and set(erased.values()) == {1}
            assert (
                await session.execute(
                    select(func.count()).select_from(Identity).where(Identity.subject_id.in_(erased_subjects))
                )
            ).scalar() == 0
            assert (
                await session.execute(
                    select(func.count())
                    .select_from(SubjectKey)
                    .where(SubjectKey.subject_id.in_(erased_subjects))
                )
            ).scalar() == 0
            exports = dict(
                (
                    await session.execute(
                        select(DsrExport.request_id, func.count()).group_by(DsrExport.request_id)
                    )
                ).all()
            )
            assert set(exports) == set(export_ids) and set(exports.values()) == {1}
            ready = (
                await session.execute(
                    select(func.count()).select_from(Event).where(Event.type == "dsr.export_ready")
                )
            ).scalar()
            assert ready == len(export_ids)
            verification = await verify_log(session, ctx.keys)
            assert verification.ok, verification
    finally:
        await ctx.db.dispose()


@pytest.mark.postgres
async def test_two_workers_on_postgres_run_1000_jobs_exactly_once_and_stop_on_sigterm(new_backend):
    settings = new_backend("postgres")
    ctx = AppContext.build(settings)
    workers = [start_worker(settings, "--id", f"w{n}", "--no-webhooks") for n in (1, 2)]
    try:
        await asyncio.sleep(2.0)  # both processes up and polling
        async with ctx.db.write_session() as session:
            for i in range(1000):
                await queue.enqueue(session, "noop", {"i": i})
        deadline = time.time() + 60
        while time.time() < deadline:
            async with ctx.db.read_session() as session:
                done = (
                    await session.execute(select(func.count()).select_from(Job).where(Job.status == "done"))
                ).scalar()
            if done == 1000:
                break
            await asyncio.sleep(0.2)
        assert done == 1000
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=30)
        logs = [proc.log_path.read_text() for proc in workers]
        assert [proc.returncode for proc in workers] == [0, 0]
        ran: list[list[int]] = []
        for text in logs:
            lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            ran.append([x["job_id"] for x in lines if x.get("event") == "job done"])
            assert any(x.get("event") == "worker stopped" for x in lines)
        everything = ran[0] + ran[1]
        assert len(everything) == 1000 and len(set(everything)) == 1000
        assert ran[0] and ran[1], "both workers took part"
        async with ctx.db.read_session() as session:
            attempts = set((await session.execute(select(Job.attempts).where(Job.kind == "noop"))).scalars())
        assert attempts == {1}
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        await ctx.db.dispose()
