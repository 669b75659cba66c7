"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite: one writer engine whose transactions start with ``BEGIN IMMEDIATE`` (writers queue instead of
failing to upgrade a read lock) and a reader engine; WAL lets reads run beside the writer. Their statements
run on the event loop's thread (``store/sqlite_inline.py``: tens of microseconds each, where aiosqlite's
thread hop cost about a millisecond), and the write transactions of one process queue in order on an
asyncio lock before they begin, instead of polling SQLite's file lock (its busy handler sleeps up to 100 ms
between tries, which gave saves under load a tail of seconds). A unit of work on a SQLite file runs on one
long-lived writer connection per process and event loop (``Database.writer_transaction``): writers take
their turn on that lock anyway, and a transaction there costs a ``BEGIN IMMEDIATE`` and a ``COMMIT`` on
``sqlite3``, not an ``AsyncSession``, a pool checkout and greenlet switches; its ORM session is made only
when the unit of work is asked for one.
PostgreSQL: one pooled engine for both; a unit of work there checks out a connection and begins the
transaction itself, its ORM session also made only when asked for.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.util import await_, greenlet_spawn

from prefcenter.private_files import keep_private
from prefcenter.store import sqlite_inline
from prefcenter.store.outage import database_outage
from prefcenter.store.write_statements import (
    AutocommitStatements,
    NeedsTransaction,
    PostgresStatements,
    SqliteStatements,
    connection_statements,
)

log = structlog.get_logger("prefcenter.store")
SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
SQLITE_BUSY_SECONDS = 15.0  # how long a SQLite statement or a writer waits for the write lock


def keep_sqlite_files_private(path: Path) -> None:
    """Create the database file 0600 (in a 0700 directory if that is new) before SQLite opens it: SQLite
    gives its -wal, -shm and -journal files the database file's mode. Files an older version left
    readable by others are narrowed; where that is not allowed (not the owner, a read-only volume) the
    service still starts, with a warning."""
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANION_SUFFIXES)):
        if candidate is not path and not candidate.exists():
            continue
        try:
            keep_private(candidate)
        except OSError as exc:
            if not candidate.exists():
                raise
            log.warning("database file left readable by others", path=str(candidate), error=str(exc))


def sqlite_file(url: str) -> Path | None:
    """The database file a SQLite URL names (None for another engine or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    return Path(rest) if rest and rest != ":memory:" else None


def _sqlite_pragmas(dbapi_connection) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _make_sqlite_engine(url: str, begin: str) -> AsyncEngine:
    (database,), options = SQLiteDialect_pysqlite().create_connect_args(make_url(url))
    options.pop("check_same_thread", None)

    async def connect() -> sqlite_inline.InlineConnection:
        # isolation_level None: we issue BEGIN ourselves
        return await sqlite_inline.connect(database, SQLITE_BUSY_SECONDS, **options)

    engine = create_async_engine(
        url, poolclass=NullPool if ":memory:" in url else None, async_creator=connect
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        _sqlite_pragmas(dbapi_connection)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        # on the DB-API cursor (it waits out another process's lock like every statement; SQLAlchemy wraps
        # its errors as for any begin), not through a statement execution of SQLAlchemy's: 10 us a write
        cursor = conn.connection.cursor()
        try:
            cursor.execute(begin)
        finally:
            cursor.close()

    return engine


# Set while ``Database.writer_transaction`` checks a PostgreSQL connection out: its ping is the transaction's BEGIN.
_BEGIN_AS_PING: ContextVar[bool] = ContextVar("prefcenter_begin_as_ping", default=False)
# connections of one-statement writes per event loop, idle or in use (the pool's size); beyond, writes take
# the pool's bounded connections
AUTOCOMMIT_IDLE = 10
_FIRST_STATEMENT_AS_PING: ContextVar[bool] = ContextVar("prefcenter_first_statement_as_ping", default=False)


def _ping_in_one_round_trip(dbapi_connection) -> bool:
    """PostgreSQL's ``pool_pre_ping``: ``SELECT 1``, one round trip on asyncpg's simple query protocol.
    SQLAlchemy's asyncpg ping wraps its statement in a transaction of its own for PgBouncer's transaction
    mode (BEGIN, the statement, ROLLBACK: three round trips on every checkout); a simple query needs no
    prepared statement and no transaction there. A write transaction's checkout (``_BEGIN_AS_PING``) pings
    with the transaction's own ``BEGIN``, through SQLAlchemy's adapter (so the commit or rollback stays its
    own): the round trip it needs anyway. Errors go through the adapter as its own ping's do, so the pool
    replaces a dead connection as before (a fresh one is not pinged: its transaction begins with the first
    statement, ``write_statements.connection_statements``)."""
    if _BEGIN_AS_PING.get():
        await_(dbapi_connection._start_transaction())  # its errors go through ``_handle_exception``
        return True
    if _FIRST_STATEMENT_AS_PING.get():  # a one-statement write: its first read (``autocommit_transaction``)
        return True
    try:
        await_(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


def _begun_write_connection(engine: Engine) -> tuple[Connection, object]:
    """PostgreSQL, run in one greenlet (``Database.writer_transaction``): a connection checked out of the pool
    (a pooled one pinged with the transaction's BEGIN, ``_BEGIN_AS_PING``) with its transaction begun, and its
    pooled DBAPI connection. Through ``AsyncConnection`` (``connect().start()``, ``begin()``,
    ``get_raw_connection()``) that was three greenlet switches, each with its own event-loop bookkeeping."""
    connection = engine.connect()
    try:
        connection.begin()
        return connection, connection.connection
    except BaseException:
        connection.close()
        raise


def _commit_and_close(connection: Connection) -> None:
    """PostgreSQL, run in one greenlet: commit and return the connection to the pool (two switches before)."""
    connection.commit()
    connection.close()


class _Writer:
    """SQLite: the writer connection of one process and event loop, and an engine whose one connection is this
    one, for units of work that need ORM work (its ``begin`` joins a transaction already begun)."""

    def __init__(self, url: str, connection: sqlite_inline.InlineConnection) -> None:
        self.connection = connection

        async def same_connection() -> sqlite_inline.InlineConnection:
            return connection

        self._engine = create_async_engine(url, poolclass=StaticPool, async_creator=same_connection)

        @event.listens_for(self._engine.sync_engine, "begin")
        def _on_begin(conn):
            if not connection.in_transaction:  # not begun by the unit of work's statements yet
                cursor = conn.connection.cursor()
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                finally:
                    cursor.close()

        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    async def open(self) -> None:
        """The engine's first connect, outside any transaction: SQLAlchemy ends it with a rollback, which
        inside a unit of work would undo the statements run before its session was made."""
        async with self._engine.connect():
            pass

    def session(self) -> AsyncSession:
        return self._sessions()

    async def close(self) -> None:
        await self._engine.dispose()
        await self.connection.close()


class WriterTransaction:
    """A SQLite write transaction on the writer connection (``Database.writer_transaction``): begun with
    ``BEGIN IMMEDIATE`` when first used, through ``statements`` (``store/write_statements.py``) or the ORM
    ``session``, made on first use; both run in the same transaction."""

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer
        self._statements: SqliteStatements | None = None
        self._session: AsyncSession | None = None

    async def statements(self) -> SqliteStatements:
        if self._statements is None:
            connection = self._writer.connection
            raw = connection.sqlite3_connection
            if not raw.in_transaction:
                await sqlite_inline.run_waiting(connection.busy_seconds, raw.execute, "BEGIN IMMEDIATE")
            self._statements = SqliteStatements(raw, connection.busy_seconds)
        return self._statements

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._writer.session()
        return self._session

    @property
    def opened_session(self) -> AsyncSession | None:
        """The session, if one was asked for."""
        return self._session

    async def _commit(self) -> None:
        if self._session is not None:
            await self._session.commit()  # commits the connection's transaction if the session began it
        connection = self._writer.connection
        if connection.in_transaction:
            await connection.commit()

    async def _rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()
        connection = self._writer.connection
        if connection.in_transaction:
            await connection.rollback()

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()


class PostgresTransaction:
    """A PostgreSQL write transaction on a connection checked out of the pool for it
    (``Database.writer_transaction``): begun on asyncpg when first used, through ``statements``
    (``store/write_statements.py``) or the ORM ``session``, made on first use and bound to the same
    connection and transaction."""

    def __init__(self, connection: AsyncConnection, pooled: object) -> None:
        self._connection = connection
        self._pooled = pooled  # the pool's DBAPI connection (``get_raw_connection``)
        self._statements: PostgresStatements | None = None
        self._session: AsyncSession | None = None

    async def statements(self) -> PostgresStatements:
        if self._statements is None:
            statements = await connection_statements(self._connection, self._pooled)
            assert isinstance(statements, PostgresStatements)
            self._statements = statements
        return self._statements

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            # joins the connection's transaction: its commit flushes, the connection's commits
            self._session = AsyncSession(bind=self._connection, expire_on_commit=False)
        return self._session

    @property
    def opened_session(self) -> AsyncSession | None:
        """The session, if one was asked for."""
        return self._session

    async def _commit_and_close(self) -> None:
        """Commit (the session first, which flushes) and return the connection to the pool."""
        if self._session is None:
            await greenlet_spawn(_commit_and_close, self._connection.sync_connection)
            return
        await self._session.commit()
        await self._connection.commit()
        await self._session.close()
        await self._connection.close()

    async def _rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()
        if self._connection.in_transaction():
            await self._connection.rollback()

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.close()


@dataclass(slots=True)
class _AutocommitConnections:
    """One event loop's connections of one-statement writes: the idle ones, and how many are in use."""

    idle: list = field(default_factory=list)  # asyncpg connections
    busy: int = 0


class AutocommitTransaction:
    """PostgreSQL, a one-statement write (``Database.autocommit_transaction``): statements on a pooled
    connection outside any transaction (``AutocommitStatements``: its reads, then one statement that writes
    and commits). It has no ORM session: asking for one means the write needs a transaction."""

    opened_session = None

    def __init__(self, statements: AutocommitStatements) -> None:
        self._statements = statements

    async def statements(self) -> AutocommitStatements:
        return self._statements

    @property
    def written(self) -> bool:
        """Whether its one statement was sent (from then on it may have committed)."""
        return self._statements.written

    @property
    def session(self) -> AsyncSession:
        raise NeedsTransaction("the ORM session")


AfterCommit = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class _Joined:
    db: Database
    session: AsyncSession
    task: asyncio.Task | None
    after_commit: list[AfterCommit]


_REQUEST_TRANSACTION: ContextVar[_Joined | None] = ContextVar("prefcenter_request_transaction", default=None)


@dataclass(slots=True)
class RequestTransaction:
    """The open transaction of ``Database.request_transaction``."""

    session: AsyncSession
    committed: bool = False

    async def commit(self) -> None:
        await self.session.commit()
        self.committed = True


class Database:
    """The engines of one database, given its SQLAlchemy URL (``sqlite+aiosqlite:///...`` or
    ``postgresql+asyncpg://...``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_path = sqlite_file(url)  # the file of a SQLite database; None in memory or elsewhere
        if self.is_sqlite:
            if self.sqlite_path is not None:
                keep_sqlite_files_private(self.sqlite_path)
            self.write_engine = _make_sqlite_engine(url, "BEGIN IMMEDIATE")
            self.read_engine = _make_sqlite_engine(url, "BEGIN")
        else:
            self.write_engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self.write_engine.dialect.do_ping = _ping_in_one_round_trip  # type: ignore[method-assign]
            self.read_engine = self.write_engine
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._writer_turns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> Lock
        self._writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> _Writer
        # event loop -> connections of one-statement writes (``autocommit_transaction``)
        self._autocommit_idle: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        """SQLite: this process's write transactions one at a time, in arrival order (PostgreSQL: no wait).
        A writer still waiting after ``SQLITE_BUSY_SECONDS`` gets SQLite's "database is locked", as a
        writer waiting on the file lock did."""
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        turn = self._writer_turns.get(loop)
        if turn is None:
            turn = self._writer_turns[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(SQLITE_BUSY_SECONDS):
                await turn.acquire()
        except TimeoutError:
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise error from None
        try:
            yield
        finally:
            turn.release()

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session inside one write transaction: commits on success, rolls back on error. Inside a
        ``request_transaction`` it is a savepoint of that transaction (rolled back alone on error)."""
        joined = self._joined_session()
        if joined is not None:
            async with joined.begin_nested():
                yield joined
            return
        async with self._writer_turn(), self._writer() as session:
            # the session begins with its first statement; committed here, rolled back on any error (as
            # ``session.begin()`` would, without its own transaction object: a greenlet switch less)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def has_writer_connection(self) -> bool:
        """Whether a write here can run as a ``writer_transaction``: SQLite on a file or PostgreSQL, outside a
        ``request_transaction`` (whose savepoints need its session)."""
        return (self.sqlite_path is not None or not self.is_sqlite) and self._joined_session() is None

    async def _detached_write_connection(self):
        """A driver connection made like every write connection (through the write engine's pool: its
        ``connect`` listeners, the PRAGMAs), then taken out of the pool for good: the caller keeps and
        closes it."""
        pooled = await self.write_engine.raw_connection()
        connection = pooled.driver_connection  # (read before ``detach``, which lets the pool forget it)
        pooled.detach()
        return connection

    async def _writer_connection(self) -> _Writer:
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            # taken out of the write engine's pool for good: made like every write connection (its
            # ``connect`` listeners, the PRAGMAs), closed by ``dispose`` or after an outage error
            connection = await self._detached_write_connection()
            writer = _Writer(self.url, connection)
            try:
                await writer.open()
            except BaseException:
                await connection.close()
                raise
            self._writers[loop] = writer
        return writer

    @asynccontextmanager
    async def writer_transaction(self) -> AsyncIterator[WriterTransaction | PostgresTransaction]:
        """One write transaction (``has_writer_connection``), committed on success, rolled back on any error.
        SQLite on a file: on this process's writer connection, in this process's writer turn; after an
        outage error (full disk, read-only or vanished file, I/O error) the connection is closed and the
        next write opens a new one, as a pool would. PostgreSQL: on a connection checked out of the pool
        (pre-pinged with the transaction's BEGIN) for it and returned after; one that broke in the transaction is invalidated by its
        failed rollback, as a session's would be."""
        if not self.is_sqlite:
            pinging = _BEGIN_AS_PING.set(True)
            try:  # a connection from the pool is pinged with the transaction's BEGIN
                sync_connection, pooled = await greenlet_spawn(
                    _begun_write_connection, self.write_engine.sync_engine
                )
            finally:
                _BEGIN_AS_PING.reset(pinging)
            connection = AsyncConnection(self.write_engine, sync_connection)
            try:
                transaction = PostgresTransaction(connection, pooled)
                try:
                    yield transaction
                    await transaction._commit_and_close()
                except BaseException:
                    try:
                        await transaction._rollback()
                    finally:
                        await transaction._close()
                    raise
            finally:
                if not connection.closed:
                    await asyncio.shield(connection.close())  # as ``async with`` a connection does
            return
        async with self._writer_turn():
            writer = await self._writer_connection()
            transaction = WriterTransaction(writer)
            try:
                yield transaction
                await transaction._commit()
            except BaseException as exc:
                broken = False
                try:
                    await transaction._rollback()
                    await transaction._close()
                except Exception:
                    broken = True
                if broken or writer.connection.in_transaction or database_outage(exc) is not None:
                    self._drop_writer(writer)
                raise
            await transaction._close()

    @asynccontextmanager
    async def autocommit_transaction(self) -> AsyncIterator[AutocommitTransaction]:
        """PostgreSQL: a connection for a one-statement write (``unit_of_work.write``), outside any transaction.
        These connections are made like every write connection (through the write engine's pool, its
        ``connect`` listeners), then taken out of it and kept by this process: a write picks one up without
        the pool's checkout, return and reset (three greenlet switches and their bookkeeping). At most
        ``AUTOCOMMIT_IDLE`` per event loop, idle or in use; a write beyond them (a burst) raises
        ``NeedsTransaction`` and takes the pool's bounded connections. One is not pinged: its first statement
        is a read, which a dead connection fails before anything is written (``AutocommitStatements``: the
        caller then writes in a transaction, whose checkout pings). A connection lost, or left in a statement
        by a cancelled request, is closed instead of kept."""
        loop = asyncio.get_running_loop()
        kept = self._autocommit_idle.get(loop)
        if kept is None:
            kept = self._autocommit_idle[loop] = _AutocommitConnections()
        if not kept.idle and kept.busy >= AUTOCOMMIT_IDLE:  # (a burst: the pool's bounded connections)
            raise NeedsTransaction("every one-statement connection is busy")
        driver = kept.idle.pop() if kept.idle else None
        kept.busy += 1  # (counted while connecting too: a burst opens no more than AUTOCOMMIT_IDLE)
        reusable = False
        try:
            if driver is None:
                pinging = _FIRST_STATEMENT_AS_PING.set(True)
                try:
                    driver = await self._detached_write_connection()
                finally:
                    _FIRST_STATEMENT_AS_PING.reset(pinging)
            statements = AutocommitStatements(driver)
            try:
                yield AutocommitTransaction(statements)
                reusable = True
            except Exception as exc:
                reusable = not (statements.broken or database_outage(exc))
                raise
        finally:
            kept.busy -= 1
            if driver is not None:
                if reusable and not driver.is_closed() and len(kept.idle) < AUTOCOMMIT_IDLE:
                    kept.idle.append(driver)
                else:
                    driver.terminate()

    def _drop_writer(self, writer: _Writer) -> None:
        for loop, known in list(self._writers.items()):
            if known is writer:
                del self._writers[loop]
        writer.connection.stop()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read transaction; inside a ``request_transaction`` a savepoint of it (it sees that request's
        own uncommitted writes)."""
        joined = self._joined_session()
        if joined is not None:
            async with joined.begin_nested():
                yield joined
            return
        async with self._reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def request_transaction(self) -> AsyncIterator[RequestTransaction]:
        """One write transaction for a whole request: every ``write_session``, ``read_session`` and unit of
        work the same task opens until it ends joins it as a savepoint, so what the request writes commits
        (``RequestTransaction.commit``) together with whatever the caller adds last, or not at all: leaving
        without committing, or a crash, rolls everything back."""
        after_commit: list[AfterCommit] = []
        committed = False
        try:
            async with self._writer_turn(), self._writer() as session:
                await session.begin()
                transaction = RequestTransaction(session)
                token = _REQUEST_TRANSACTION.set(_Joined(self, session, asyncio.current_task(), after_commit))
                try:
                    yield transaction
                finally:
                    _REQUEST_TRANSACTION.reset(token)
                    committed = transaction.committed
        finally:
            if committed:  # outside the write turn: other writers need not wait for a mail server
                for action in after_commit:
                    await action()

    async def after_commit(self, action: AfterCommit) -> None:
        """Run ``action`` (e.g. send a mail about what was just written) once this task's writes are
        committed: now, or, inside a ``request_transaction``, after it commits and releases the write turn
        (never, if it rolls back). ``action`` handles its own failures: the write is already committed."""
        joined = _REQUEST_TRANSACTION.get()
        if joined is not None and joined.db is self and self._joined_session() is not None:
            joined.after_commit.append(action)
            return
        await action()

    def _joined_session(self) -> AsyncSession | None:
        joined = _REQUEST_TRANSACTION.get()
        if joined is None or joined.db is not self or not joined.session.in_transaction():
            return None
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no event loop in this thread
            return None
        return joined.session if task is joined.task else None  # tasks it spawns get sessions of their own

    async def ping(self) -> None:
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        writers, self._writers = list(self._writers.values()), weakref.WeakKeyDictionary()
        for writer in writers:
            await writer.close()
        idle, self._autocommit_idle = list(self._autocommit_idle.items()), weakref.WeakKeyDictionary()
        for loop, kept in idle:
            for connection in kept.idle:
                if loop is asyncio.get_running_loop():
                    try:
                        await connection.close(timeout=5)
                    except Exception:  # (lost already, or the server gone: nothing to say goodbye to)
                        connection.terminate()
                elif not loop.is_closed():
                    connection.terminate()
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
