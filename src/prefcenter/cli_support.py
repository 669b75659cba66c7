"""What every ``prefcenter`` command shares: the context from the environment, running an async command
in it, and ``CommandError`` (a plain message for the operator). Area CLIs import this, never ``cli.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from prefcenter.settings import Settings

if TYPE_CHECKING:
    from prefcenter.context import AppContext

T = TypeVar("T")


class CommandError(Exception):
    """A plain message for the operator; exits non-zero."""


def command_context() -> AppContext:
    """The context a command works in, from the environment (PREFCENTER_*); its caller disposes of its db."""
    from prefcenter.context import AppContext  # the database, keys and services: only for a command that runs

    return AppContext.build(Settings.from_env())


def run_command(command: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run ``command(ctx)`` to completion in a fresh context, then close the database."""

    async def runner() -> T:
        ctx = command_context()
        try:
            return await command(ctx)
        finally:
            await ctx.db.dispose()

    return asyncio.run(runner())
