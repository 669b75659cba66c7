"""Preparing raw batches (``prepare.py``) in worker processes, in file order, with bounded read-ahead.

The database writer stays in this process; workers only parse, hash and seal. Without a pool (tests,
small files) the same ``Preparer`` runs here between the writer's steps.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from prefcenter.imports.prepare import PreparedBatch, Preparer, decode_batch
from prefcenter.imports.source import RawBatch
from prefcenter.worker_processes import become_worker

_preparers: dict[tuple[bytes, bytes], Preparer] = {}  # in a worker: one per key set it was sent


def _prepare_in_worker(keys: tuple[bytes, bytes], batch: RawBatch) -> bytes:
    preparer = _preparers.get(keys)
    if preparer is None:
        preparer = _preparers[keys] = Preparer(*keys)
    return preparer(batch)


def start_pool(workers: int) -> ProcessPoolExecutor:
    """Start ``workers`` processes now. They are forked (fast, and they inherit the imported modules), so
    call this before the process starts threads (the CLI does, before its event loop and database)."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=become_worker,  # exit with the CLI even when it is killed outright
        initargs=(os.getpid(),),
    )
    pool.submit(int).result()  # a fork pool starts all its processes on the first task
    return pool


async def prepared(
    batches: Iterator[RawBatch], preparer: Preparer, pool: Executor | None, ahead: int
) -> AsyncIterator[PreparedBatch]:
    """``preparer`` applied to ``batches``, in order; with a pool, up to ``ahead`` batches are in flight."""
    if pool is None:
        for batch in batches:
            yield decode_batch(preparer(batch))
            await asyncio.sleep(0)  # let a chunk being written take its next step
        return
    loop = asyncio.get_running_loop()
    keys = preparer.keys
    pending: deque[asyncio.Future | Future] = deque()
    try:
        for batch in batches:
            pending.append(loop.run_in_executor(pool, _prepare_in_worker, keys, batch))
            while len(pending) >= ahead:
                yield decode_batch(await pending.popleft())
        while pending:
            yield decode_batch(await pending.popleft())
    finally:
        for future in pending:
            future.cancel()
