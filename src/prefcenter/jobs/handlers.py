"""What the worker runs, declared by the areas: job handlers by kind, and periodic sweeps.

A handler gets the jobs it was given (one, or up to ``batch`` of the same kind) and either returns
(the worker marks them done — handlers may also mark them done inside their own last transaction)
or raises (the worker retries with backoff, then dead-letters and calls ``on_dead``). Every handler is
idempotent: running a job twice has the effect of running it once.

The first argument of a handler or sweep is the context the worker was given (the application's
``AppContext``); this package never looks inside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefcenter.store.models_dsr import Job

HandlerFn = Callable[[Any, list["Job"], str], Awaitable[None]]
DeadFn = Callable[[Any, "Job"], Awaitable[None]]
SweepFn = Callable[[Any, str], Awaitable[int]]


@dataclass(frozen=True)
class Handler:
    kind: str
    run: HandlerFn
    batch: int = 1  # >1: the worker hands this many jobs of the kind to one call
    on_dead: DeadFn | None = None


@dataclass(frozen=True)
class Sweep:
    """Periodic work outside the queue: ``run(context, worker_id)`` returns how much it found (0 = idle).

    Sweeps of one ``lane`` run one after another in one loop; each lane loops beside the others."""

    name: str
    run: SweepFn
    lane: str = "sweeper"


async def _noop(context: Any, jobs: list[Job], worker_id: str) -> None:
    """Does nothing; used to check a worker is alive and to measure the queue itself."""


NOOP = Handler("noop", _noop, batch=20)
