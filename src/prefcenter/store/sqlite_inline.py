"""SQLite statements run on the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (cursor, execute, fetch, close) in a thread of its own: about 1 ms a call on the
reference machine, for statements that take 10-50 us in ``sqlite3``. ``connect`` returns an object with the
part of aiosqlite's connection interface SQLAlchemy's aiosqlite dialect uses, whose coroutines call
``sqlite3`` directly and finish without a thread hop; it is passed as ``async_creator`` to
``create_async_engine("sqlite+aiosqlite://...")``, so sessions, the ORM and the dialect stay as they are.

A statement on the loop thread must never wait inside SQLite: the connection's ``busy_timeout`` is 0 and a
lock held by another connection (``SQLITE_BUSY``) is waited for here, with ``asyncio.sleep`` between tries
until ``busy_seconds`` have passed, when SQLite's own error is raised as before. Writers of one process
queue before they begin (``Database``'s writer lock), so this wait is only for other processes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

_FIRST_WAIT_SECONDS = 0.001
_LONGEST_WAIT_SECONDS = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """A lock another connection holds (worth waiting for); not SQLITE_BUSY_SNAPSHOT, which a wait cannot cure."""
    code = getattr(error, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_BUSY or (code is None and "database is locked" in str(error))


async def run_waiting(busy_seconds: float, call: Callable, *args: Any) -> Any:
    """``call(*args)``, tried again (after ``asyncio.sleep``) while another connection holds a lock."""
    try:
        return call(*args)
    except sqlite3.OperationalError as error:
        if not _is_busy(error):
            raise
    deadline = time.monotonic() + busy_seconds
    wait = _FIRST_WAIT_SECONDS
    while True:
        await asyncio.sleep(wait)
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() >= deadline:
                raise
        wait = min(wait * 2, _LONGEST_WAIT_SECONDS)


class InlineCursor:
    __slots__ = ("_busy_seconds", "_cursor")

    def __init__(self, cursor: sqlite3.Cursor, busy_seconds: float) -> None:
        self._cursor = cursor
        self._busy_seconds = busy_seconds

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await run_waiting(self._busy_seconds, self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await run_waiting(self._busy_seconds, self._cursor.executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self):
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class InlineConnection:
    """What SQLAlchemy's aiosqlite dialect calls on an aiosqlite connection, run inline."""

    def __init__(self, connection: sqlite3.Connection, busy_seconds: float) -> None:
        self._conn = connection
        self._connection = connection  # the dialect tests this to see whether the connection is open
        self._busy_seconds = busy_seconds

    @property
    def sqlite3_connection(self) -> sqlite3.Connection:
        """The ``sqlite3`` connection itself (``store/write_statements.py`` runs a transaction's hot
        statements on it directly)."""
        return self._conn

    @property
    def busy_seconds(self) -> float:
        return self._busy_seconds

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy_seconds)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        return await self.cursor().executemany(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list:
        cursor = await self.execute(sql, parameters)
        try:
            return cursor._cursor.fetchall()
        finally:
            cursor._cursor.close()

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def commit(self) -> None:
        await run_waiting(self._busy_seconds, self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


async def connect(database: str, busy_seconds: float, **options: Any) -> InlineConnection:
    """A connection whose statements run on the calling thread; the caller issues ``BEGIN`` itself."""
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False, **options)
    connection.execute("PRAGMA busy_timeout=0")
    return InlineConnection(connection, busy_seconds)
