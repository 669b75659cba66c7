"""Raw asyncpg connections for the PostgreSQL projection reads (checks, profiles).

A consent check is one statement. Through the SQLAlchemy pool it also paid a pre-ping round trip
(``pool_pre_ping``: every checkout sends a query before ours), a reset on return and the greenlet bridge:
about half of a single check's time on the bench. Here a handful of connections is kept for the projection
statements only: a connection is taken, used for one statement and put back, with no extra round trip. The
pre-ping's job (a server restart or a dropped idle connection) is done by retrying a statement once on a
fresh connection when a *reused* connection turns out to be dead.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from sqlalchemy.engine import URL

# What a connection the server dropped raises: a closed socket, the server's FATAL "terminating connection"
# (operator intervention: shutdown, pg_terminate_backend), or asyncpg's protocol state left mid-operation.
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    ConnectionError,
    OSError,
)


def asyncpg_dsn(url: URL) -> str:
    """The engine's URL as a DSN asyncpg accepts (``postgresql://``, password included)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgConnections:
    """At most ``size`` connections, opened on demand; one statement per checkout."""

    def __init__(self, dsn: str, size: int = 10) -> None:
        self.dsn = dsn
        self.size = size
        self._idle: list[asyncpg.Connection] = []
        self._slots: asyncio.Semaphore | None = None

    async def fetch(self, sql: str, *args) -> list:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        async with self._slots:
            for attempt in range(2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await asyncpg.connect(self.dsn)
                try:
                    rows = await conn.fetch(sql, *args)
                except _CONNECTION_LOST:
                    conn.terminate()
                    if reused and attempt == 0:
                        continue  # died while idle (e.g. the server restarted): once more on a new connection
                    raise
                except asyncio.CancelledError:
                    conn.terminate()  # the statement may still be running on the server: never reuse it
                    raise
                except Exception:
                    if conn.is_closed():
                        conn.terminate()
                    else:
                        self._idle.append(conn)  # a statement error leaves the connection usable
                    raise
                self._idle.append(conn)
                return rows
        raise AssertionError("unreachable")

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            # RuntimeError: its event loop is closed already (a finaliser at exit); the socket went with it
            with contextlib.suppress(RuntimeError):
                conn.terminate()
