"""``Area``: what one area of the product contributes to the whole, declared in its own ``<area>/area.py``.

The shell assembles the declarations listed in ``prefcenter/areas.py``: ``app.py`` mounts the routes,
``cli.py`` registers the commands, ``worker.py`` hands the job handlers and sweeps to ``jobs/``.

Routes, job handlers and sweeps are named by reference (``"package.module:attribute"``) and imported when
the shell first uses them: a ``prefcenter`` command loads only what it runs, not every area's routes
(Litestar, the templates, every service). ``tests/test_architecture.py`` reads these references as imports
of ``area.py``, so they follow the same rules, and ``tests/test_areas.py`` loads every one of them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

RegisterCommands = Callable[[argparse._SubParsersAction], None]


def load(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names, importing its module."""
    module, _, attribute = reference.partition(":")
    if not attribute:
        raise ValueError(f"not a 'module:attribute' reference: {reference!r}")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Area:
    name: str
    # Mounted under the bearer-token router (rate limits, Idempotency-Key, GPC); scopes are checked per route.
    routes: Sequence[str] = ()
    # Mounted without a bearer token: they authenticate themselves (signed links, admin session) or are open.
    public_routes: Sequence[str] = ()
    # Adds the area's ``prefcenter`` sub-commands: a function(subparsers) that calls set_defaults(func=...).
    # Its module is imported with the CLI: it imports what a command runs inside that command.
    cli: RegisterCommands | None = None
    # A sequence of ``jobs.handlers.Handler``, one per job kind the area enqueues.
    job_handlers: str | None = None
    # A sequence of ``jobs.handlers.Sweep``: periodic work the worker runs between jobs.
    sweeps: str | None = None

    def load_routes(self) -> list[Any]:
        return [load(reference) for reference in self.routes]

    def load_public_routes(self) -> list[Any]:
        return [load(reference) for reference in self.public_routes]

    def load_job_handlers(self) -> Sequence[Any]:
        return load(self.job_handlers) if self.job_handlers else ()

    def load_sweeps(self) -> Sequence[Any]:
        return load(self.sweeps) if self.sweeps else ()
