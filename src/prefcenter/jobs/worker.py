"""The job worker: runs queued jobs and the sweeps it was given until told to stop.

Generic: the handlers (by kind), the sweeps, the timings and the context handed to them are passed in
(``prefcenter/worker.py`` assembles them from the areas). Lanes run side by side in one process:
- one lane per batch kind (e.g. erasure): claims up to ``batch`` jobs and runs them in one call;
- ``concurrency`` lanes for single jobs (e.g. exports, DSR actions);
- one lane per sweep lane (e.g. webhook deliveries);
- the sweeper: jobs whose worker died on their last attempt (their on-dead handler runs, then they are
  dead-lettered), then the sweeps of the ``sweeper`` lane (e.g. deadlines, expired exports, consents).
SIGTERM (or SIGINT) stops claiming; work in hand finishes, then the process exits. A worker killed
with SIGKILL leaves leased jobs behind; they are claimed again when their lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from prefcenter.jobs import queue
from prefcenter.jobs.handlers import Handler, Sweep
from prefcenter.store.database import Database
from prefcenter.store.models_dsr import Job

SWEEPER = "sweeper"  # the lane that also buries jobs whose worker died on their last attempt

log = structlog.get_logger("prefcenter.worker")


@dataclass
class WorkerStats:
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_dead: int = 0
    swept: int = 0  # work the sweeps found
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class WorkerTimings:
    lease_seconds: float  # a claimed job is the worker's this long; extended while its handler runs
    backoff_seconds: float  # base of the exponential backoff after a failed attempt
    poll_seconds: float  # an idle lane waits this long before looking again


class Worker:
    def __init__(
        self,
        context: Any,
        db: Database,
        timings: WorkerTimings,
        *,
        handlers: Mapping[str, Handler],
        sweeps: Sequence[Sweep] = (),
        concurrency: int = 1,
        worker_id: str | None = None,
    ) -> None:
        self.context = context  # handed to every handler and sweep as their first argument
        self.db = db
        self.timings = timings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.handlers = dict(handlers)
        self.sweeps = tuple(sweeps)
        self.concurrency = concurrency
        self.stop = asyncio.Event()
        self.stats = WorkerStats()

    @property
    def _batch_kinds(self) -> list[Handler]:
        return [h for h in self.handlers.values() if h.batch > 1]

    @property
    def _single_kinds(self) -> tuple[str, ...]:
        return tuple(h.kind for h in self.handlers.values() if h.batch <= 1)

    # --- running jobs ---------------------------------------------------------------------------------

    async def _heartbeat(self, job_ids: list[int], finished: asyncio.Event) -> None:
        """Extend the leases while the handler runs. Stopped by ``finished``, never cancelled, so a
        lease update is never interrupted mid-query (which would leak its pooled connection)."""
        lease = self.timings.lease_seconds
        while True:
            try:
                await asyncio.wait_for(finished.wait(), timeout=max(lease / 3, 0.2))
                return
            except TimeoutError:
                pass
            try:
                await queue.extend_leases(self.db, job_ids, self.worker_id, lease)
            except Exception as exc:  # noqa: BLE001 - the handler's own outcome decides the job
                log.warning("lease extension failed", error=str(exc))

    async def _run_handler(self, handler: Handler, jobs: list[Job]) -> None:
        finished = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat([j.id for j in jobs], finished))
        try:
            await handler.run(self.context, jobs, self.worker_id)
        finally:
            finished.set()
            await beat

    async def execute(self, handler: Handler, jobs: list[Job]) -> None:
        ids = [j.id for j in jobs]
        try:
            await self._run_handler(handler, jobs)
        except Exception as exc:  # noqa: BLE001 - a job's failure must never stop the worker
            if len(jobs) > 1:  # one bad job must not hold back the others: run each alone
                log.warning(
                    "job batch failed; running its jobs one by one", kind=handler.kind, error=str(exc)
                )
                for job in jobs:
                    await self.execute(handler, [job])
                return
            job = jobs[0]
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
            self.stats.jobs_failed += 1
            last = job.attempts >= job.max_attempts
            log.warning(
                "job failed",
                job_id=job.id,
                kind=job.kind,
                attempts=job.attempts,
                now=queue.DEAD if last else queue.QUEUED,
                error=str(exc),
            )
            if last:
                await self.bury(handler, job, error)
            else:
                await queue.fail(self.db, job, self.worker_id, error, self.timings.backoff_seconds)
            return
        await queue.complete(self.db, ids, self.worker_id)
        self.stats.jobs_done += len(jobs)
        for job in jobs:
            log.info("job done", job_id=job.id, kind=job.kind, worker=self.worker_id, attempts=job.attempts)

    async def bury(self, handler: Handler, job: Job, error: str) -> None:
        """A job out of attempts: its on-dead handler runs first (a DSR becomes ``failed`` with the reason),
        then the job is dead-lettered. Should the handler fail or this worker stop in between, the job
        stays leased; when the lease runs out, ``bury_expired`` (any worker) does it again."""
        job.last_error = error
        if handler.on_dead is not None:
            try:
                await handler.on_dead(self.context, job)
            except Exception as exc:  # noqa: BLE001 - e.g. the database restarting: tried again later
                log.error(
                    "on-dead handler failed; tried again after the lease", job_id=job.id, error=str(exc)
                )
                return
        await queue.fail(self.db, job, self.worker_id, error, self.timings.backoff_seconds)
        self.stats.jobs_dead += 1
        log.warning("job dead-lettered", job_id=job.id, kind=job.kind, attempts=job.attempts)

    async def bury_expired(self) -> int:
        """Jobs whose worker stopped during their last attempt (killed, out of memory, machine lost)."""
        jobs = await queue.claim_expired(
            self.db, self.worker_id, self.timings.lease_seconds, tuple(self.handlers)
        )
        for job in jobs:
            await self.bury(self.handlers[job.kind], job, job.last_error or "the worker stopped")
        return len(jobs)

    async def run_batch_kind(self, handler: Handler) -> int:
        jobs = await queue.claim_batch(
            self.db, self.worker_id, self.timings.lease_seconds, (handler.kind,), handler.batch
        )
        if jobs:
            await self.execute(handler, jobs)
        return len(jobs)

    async def run_single(self) -> int:
        if not self._single_kinds:
            return 0
        job = await queue.claim(self.db, self.worker_id, self.timings.lease_seconds, self._single_kinds)
        if job is None:
            return 0
        await self.execute(self.handlers[job.kind], [job])
        return 1

    @property
    def _sweep_lanes(self) -> list[str]:
        """Lane names in the order their sweeps were given; the sweeper (which also buries) comes last."""
        lanes = list(dict.fromkeys(s.lane for s in self.sweeps if s.lane != SWEEPER))
        return [*lanes, SWEEPER]

    async def run_sweeps(self, lane: str) -> int:
        """One pass over a lane's sweeps, in order; the sweeper lane buries expired jobs first."""
        found = await self.bury_expired() if lane == SWEEPER else 0
        for sweep in self.sweeps:
            if sweep.lane == lane:
                done = await sweep.run(self.context, self.worker_id)
                self.stats.swept += done
                found += done
        return found

    # --- loops ----------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """One pass over every lane, in turn; returns how much work it found (0 = idle)."""
        done = 0
        for handler in self._batch_kinds:
            done += await self.run_batch_kind(handler)
        done += await self.run_single()
        for lane in self._sweep_lanes:
            done += await self.run_sweeps(lane)
        return done

    async def drain(self, max_rounds: int = 10_000) -> WorkerStats:
        """Run until a pass finds nothing to do (tests and ``prefcenter worker --drain``)."""
        for _ in range(max_rounds):
            if self.stop.is_set() or await self.run_once() == 0:
                break
        return self.stats

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=self.timings.poll_seconds)

    async def _lane(self, name: str, step) -> None:
        while not self.stop.is_set():
            try:
                found = await step()
            except Exception as exc:  # noqa: BLE001 - e.g. the database restarting: wait and go on
                log.error("worker lane error", error=str(exc), lane=name)
                found = 0
            if not found:
                await self._idle()

    async def run(self) -> WorkerStats:
        log.info("worker started", worker=self.worker_id, concurrency=self.concurrency)
        lanes = [self._lane(h.kind, lambda h=h: self.run_batch_kind(h)) for h in self._batch_kinds]
        lanes += [self._lane("single jobs", self.run_single) for _ in range(self.concurrency)]
        lanes += [self._lane(lane, lambda lane=lane: self.run_sweeps(lane)) for lane in self._sweep_lanes]
        await asyncio.gather(*lanes)
        log.info("worker stopped", worker=self.worker_id, jobs_done=self.stats.jobs_done)
        return self.stats

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.stop.is_set():  # a second signal: leave now; leased jobs are retried after their lease
            log.warning("second signal: exiting at once", signal=sig.name)
            os._exit(1)
        log.info("stopping: finishing the work in hand", signal=sig.name)
        self.stop.set()
