"""Campaign-scale checks fanned out over worker processes.

One CPython process decides about 30,000-40,000 campaign items per second: parsing, hashing identities,
reading the projections and encoding the answer are all Python work under one GIL (threads only add lock
contention, measured). A stream of NDJSON is therefore cut into chunks of whole lines that worker
processes answer in full: each parses its lines, reads the projections through its own connection (a
read-only ``sqlite3`` connection on SQLite, its own asyncpg connection and event loop on PostgreSQL), runs
the same ``CheckRun`` and sends back the encoded NDJSON. The server process only splits lines and writes
the answers back in input order. A batch check of more than one piece (2,000 items) is split the same way,
items and results travelling as MessagePack; ``prefcenter check`` uses the same pool.

Workers are started on the first stream longer than one chunk (or batch longer than one piece) (``spawn``:
nothing of the server's event loop, threads or connections is inherited), live as long as the app, ignore
SIGINT (the server shuts them down) and exit if the server dies. What a broken pool could not answer is
answered in the server process instead.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

import msgspec
import structlog

from prefcenter.checks.ndjson_answer import answer_here, merged, split_lines
from prefcenter.checks.schemas import CheckResult
from prefcenter.checks.service import PIECE, CheckRun
from prefcenter.store.projection_rows import ProjectionReader
from prefcenter.store.projections import reader_for_url
from prefcenter.store.projections_sqlite import SqliteProjectionReader
from prefcenter.worker_processes import become_worker

log = structlog.get_logger("prefcenter.checks")

# --- inside a worker process ---------------------------------------------------------------------------

_reader: ProjectionReader | None = None
_loop: asyncio.AbstractEventLoop | None = None  # PostgreSQL: the worker's own loop for asyncpg
_pepper: bytes = b""


def _start_worker(server_pid: int, database_url: str, sqlite_path: str | None, pepper: bytes) -> None:
    global _reader, _loop, _pepper
    become_worker(server_pid)
    # A worker only builds short-lived, acyclic answers: keep the imported modules out of every collection
    # and collect the youngest generation less often (it ran after every few thousand states).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    _pepper = pepper
    if sqlite_path is not None:
        _reader = SqliteProjectionReader(sqlite_path)
    else:
        _loop = asyncio.new_event_loop()
        _reader = reader_for_url(database_url)  # asyncpg, one connection


def _decided(items, start: int, channel: str | None, topic: str | None, now: datetime) -> list[CheckResult]:
    assert _reader is not None
    run = CheckRun(_reader, _pepper, now)
    if _loop is None:
        return run.decide_items_sync(items, channel, topic, start_index=start)
    return _loop.run_until_complete(run.decide_items(items, channel, topic, start_index=start))


def _answer(payload: bytes, start: int, channel: str | None, topic: str | None, now: datetime) -> bytes:
    """A stream chunk: whole NDJSON lines in, the encoded NDJSON answer out."""
    lines = payload.split(b"\n")
    batch, errors = split_lines(lines, start)
    results = _decided(batch, start, channel, topic, now) if batch else []
    return merged(start, results, errors, len(lines))


_items = msgspec.msgpack.Decoder(list[tuple[str, str | None, str | None]])
_results = msgspec.msgpack.Decoder(list[CheckResult])
_msgpack = msgspec.msgpack.Encoder()


def _decide(payload: bytes, start: int, channel: str | None, topic: str | None, now: datetime) -> bytes:
    """A batch piece: items in, results out, both as MessagePack."""
    return _msgpack.encode(_decided(_items.decode(payload), start, channel, topic, now))


# --- in the server process -----------------------------------------------------------------------------


class CheckWorkers:
    """A lazily started process pool answering NDJSON chunks; ``depth`` chunks may be in flight."""

    def __init__(self, database_url: str, sqlite_path: str | None, pepper: bytes, processes: int) -> None:
        self.database_url, self.sqlite_path, self.pepper = database_url, sqlite_path, pepper
        self.processes = processes
        self.depth = 2 * processes
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(), self.database_url, self.sqlite_path, self.pepper),
            )
        return self._pool

    async def answer(self, run: CheckRun, payload: bytes, start: int, channel, topic) -> bytes:
        """The NDJSON answer to ``payload`` (whole lines, the first one numbered ``start``).

        If a worker process dies the pool is gone for good (logged once): this chunk and every later one
        is answered in the server process."""
        if not self._broken:
            try:
                return await asyncio.wrap_future(
                    self._started().submit(_answer, payload, start, channel, topic, run.now)
                )
            except BrokenProcessPool:
                self._lost()
        return await answer_here(run, payload.split(b"\n"), start, channel, topic)

    async def decide_items(
        self, run: CheckRun, items: list[tuple[str, str | None, str | None]], channel, topic
    ) -> list[CheckResult]:
        """``run.decide_items`` with the pieces answered by the worker processes (a batch check)."""
        if self._broken:
            return await run.decide_items(items, channel, topic)
        pieces = [(start, items[start : start + PIECE]) for start in range(0, len(items), PIECE)]
        try:
            answers = await asyncio.gather(
                *(
                    asyncio.wrap_future(
                        self._started().submit(
                            _decide, _msgpack.encode(piece), start, channel, topic, run.now
                        )
                    )
                    for start, piece in pieces
                )
            )
        except BrokenProcessPool:
            self._lost()
            return await run.decide_items(items, channel, topic)
        return [result for answer in answers for result in _results.decode(answer)]

    def _lost(self) -> None:
        if not self._broken:
            self._broken = True
            log.error(
                "check_workers_broken", detail="a check worker process died; checks continue in-process"
            )
        self.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_workers(ctx) -> CheckWorkers | None:
    """The app's check worker pool, or None when checks run in the server process
    (``PREFCENTER_CHECK_WORKERS=0``, or an in-memory SQLite database)."""
    database = ctx.settings.database
    processes = ctx.settings.checks.workers
    path = database.sqlite_path
    if processes <= 0 or (database.is_sqlite and path is None):
        return None
    workers = _pools.get(ctx.db)  # one pool per database handle, like the projection readers
    if workers is None:
        workers = CheckWorkers(database.url, str(path) if path else None, ctx.keys.pepper, processes)
        _pools[ctx.db] = workers
        weakref.finalize(ctx.db, workers.close)
    return workers


def close_check_workers(ctx) -> None:
    workers = _pools.pop(ctx.db, None)
    if workers is not None:
        workers.close()
