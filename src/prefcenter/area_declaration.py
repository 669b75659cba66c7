"""``Area``: what one area of the product contributes to the whole, declared in its own ``<area>/area.py``.

The shell assembles the declarations listed in ``prefcenter/areas.py``: ``app.py`` mounts the routes,
``cli.py`` registers the commands, ``worker.py`` hands the job handlers and sweeps to ``jobs/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefcenter.jobs.handlers import Handler, Sweep

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

RegisterCommands = Callable[[argparse._SubParsersAction], None]


@dataclass(frozen=True)
class Area:
    name: str
    # Mounted under the bearer-token router (rate limits, Idempotency-Key, GPC); scopes are checked per route.
    routes: Sequence[ControllerRouterHandler] = ()
    # Mounted without a bearer token: they authenticate themselves (signed links, admin session) or are open.
    public_routes: Sequence[ControllerRouterHandler] = ()
    # Adds the area's ``prefcenter`` sub-commands: a function(subparsers) that calls set_defaults(func=...).
    cli: RegisterCommands | None = None
    job_handlers: Sequence[Handler] = ()  # one per job kind the area enqueues
    sweeps: Sequence[Sweep] = ()  # periodic work the worker runs between jobs
