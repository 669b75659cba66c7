"""Which failures mean the database is away for now rather than a bug: the drivers' knowledge, kept in store/.

``database_outage(exc)`` looks through an exception, the SQLAlchemy wrapper and the driver error it wraps
(``orig``, ``__cause__``, ``__context__``) and answers
- ``"full"``: the disk is full (SQLite ``SQLITE_FULL``, PostgreSQL ``disk_full`` 53100);
- ``"unavailable"``: the database cannot be reached or cannot write just now: a refused, reset or lost
  connection, a server shutting down or starting up (57P01, 57P02, 57P03), too many connections (53300),
  a read-only database or transaction (SQLite ``SQLITE_READONLY``, PostgreSQL 25006), a file that cannot be
  opened, a lock held past the busy timeout, an I/O error, the connection pool exhausted;
- ``None``: anything else (a real error, answered 500 and logged).
Both kinds heal by themselves (the pool reconnects, pre-ping drops dead connections), so callers answer
them as retryable (``http/problems.py``).
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from sqlalchemy import exc as sa_exc

Outage = Literal["unavailable", "full"]

_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}
_SQLITE_MESSAGES: dict[str, Outage] = {
    "database or disk is full": "full",
    "attempt to write a readonly database": "unavailable",
    "unable to open database file": "unavailable",
    "database is locked": "unavailable",
    "disk i/o error": "unavailable",
}
_PG_FULL = {"53100"}  # disk_full
_PG_UNAVAILABLE = {
    "25006",  # read_only_sql_transaction (a standby, default_transaction_read_only)
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, shutting down, recovering)
}
_PG_CONNECTION_CLASS = "08"  # connection_exception and its subclasses
_DRIVER_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite")
_LOST_CONNECTION_MESSAGES = (
    "connection is closed",
    "connection was closed",
    "underlying connection is closed",
)


def _causes(exc: BaseException):
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "orig", None), current.__cause__, current.__context__])


def _raised_in_driver(error: BaseException) -> bool:
    """Whether ``error`` came out of the database stack (not, say, a mail server refusing a connection)."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def _sqlite_outage(error: sqlite3.Error) -> Outage | None:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary == sqlite3.SQLITE_FULL:
            return "full"
        if primary in _SQLITE_UNAVAILABLE:
            return "unavailable"
    message = str(error).lower()
    return next((kind for text, kind in _SQLITE_MESSAGES.items() if text in message), None)


def _one_outage(error: BaseException) -> Outage | None:
    if isinstance(error, sqlite3.Error):
        return _sqlite_outage(error)
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        if sqlstate in _PG_FULL:
            return "full"
        if sqlstate in _PG_UNAVAILABLE or sqlstate.startswith(_PG_CONNECTION_CLASS):
            return "unavailable"
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return "unavailable"
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return "unavailable"  # no pooled connection came free in time / a connection died under us
    if isinstance(error, OSError) and _raised_in_driver(error):  # refused, reset, unreachable, DNS, timeout
        return "unavailable"
    if type(error).__name__ == "InterfaceError" and any(m in str(error) for m in _LOST_CONNECTION_MESSAGES):
        return "unavailable"  # asyncpg (and SQLAlchemy's adaption of it) on a connection that went away
    return None


def database_outage(exc: BaseException) -> Outage | None:
    """``"full"``, ``"unavailable"`` or ``None`` for ``exc`` (see the module docstring)."""
    found: Outage | None = None
    for error in _causes(exc):
        kind = _one_outage(error)
        if kind == "full":
            return "full"
        found = found or kind
    return found
