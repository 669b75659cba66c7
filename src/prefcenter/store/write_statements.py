"""The hot write paths' statements (a preference save, a consent grant or withdrawal, the audit chain's head,
its events and a revision bump), run on the write transaction's own driver connection.

Through an ``AsyncSession`` every statement costs a greenlet switch, the ORM session's bookkeeping and
SQLAlchemy's compiled-cache lookup: 30-40 us each on the reference machine, where the statement itself takes
1-5 us in ``sqlite3``. ``TransactionStatements`` runs the same SQL on the connection SQLAlchemy holds for the
unit of work, inside its transaction (and any savepoint of it): ``sqlite3`` inline on SQLite (the
transaction holds the write lock, so a statement never waits for another connection), asyncpg on PostgreSQL
(its own prepared-statement cache). The SQL is written once with ``?`` placeholders and numbered (``$1``) for
asyncpg; values go in as each driver stores them (``instant``: SQLite keeps naive UTC text, as SQLAlchemy
writes it; JSON columns take their text on both).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import msgspec
from asyncpg import InternalClientError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from prefcenter.store.outage import database_outage
from prefcenter.store.profile_reads import (
    POSTGRES_PROFILE,
    SQLITE_PROFILE,
    postgres_profile_rows,
    profile_rows,
)
from prefcenter.store.projection_rows import ProfileRows, utc_instant
from prefcenter.store.sqlite_inline import run_waiting

T = TypeVar("T")
UNREAD = object()  # the catalog version was not read in this transaction yet


@cache
def _numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, ...`` (none of these statements has a literal ``?``)."""
    parts = sql.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


class SqliteStatements:
    """Statements on the transaction's ``sqlite3`` connection, inline. A write transaction holds the write
    lock, so its statements never wait; a read transaction's rarely might (another connection recovering
    the WAL), and waits as every statement on this connection does (``sqlite_inline.run_waiting``)."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, busy_seconds: float) -> None:
        self._conn = connection
        self._busy_seconds = busy_seconds
        self.catalog_version: str | None | object = UNREAD  # see ``catalog_version``
        self.read_ahead_consents: dict[str, ConsentRecord | None] = {}  # see ``subject_row``
        self.read_ahead_current: dict[str, str | None] = {}  # topic -> current record's id (``subject_row``)
        self.read_ahead_preferences: dict[str, dict[tuple[str, str], str]] = {}  # see ``subject_row``

    @staticmethod
    def instant(moment: datetime | None) -> str | None:
        """An aware datetime as SQLAlchemy stores it on SQLite: naive UTC text."""
        if moment is None:
            return None
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = await run_waiting(self._busy_seconds, self._conn.execute, sql, params)
        return cursor.fetchall()

    async def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the rows it changed."""
        return (await run_waiting(self._busy_seconds, self._conn.execute, sql, params)).rowcount

    async def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        await run_waiting(self._busy_seconds, self._conn.executemany, sql, params)

    async def profile(self, subject_id: str) -> ProfileRows | None:
        results = [await self.rows(sql, (subject_id,)) for sql in SQLITE_PROFILE]
        subject, key, identities, preferences, consents = results
        if not subject:
            return None
        return profile_rows(subject[0], key[0] if key else None, identities, preferences, consents)


class PostgresStatements:
    """Statements on the write transaction's asyncpg connection."""

    dialect = "postgresql"

    def __init__(self, connection: Any) -> None:  # an asyncpg.Connection
        self._conn = connection
        self.catalog_version: str | None | object = UNREAD  # see ``catalog_version``
        self.read_ahead_consents: dict[str, ConsentRecord | None] = {}  # see ``subject_row``
        self.read_ahead_current: dict[str, str | None] = {}  # topic -> current record's id (``subject_row``)
        self.read_ahead_preferences: dict[str, dict[tuple[str, str], str]] = {}  # see ``subject_row``

    @staticmethod
    def instant(moment: datetime | None) -> datetime | None:
        return moment

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._conn.fetch(_numbered(sql), *params)

    async def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        status = await self._conn.execute(_numbered(sql), *params)  # e.g. "UPDATE 1"
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(_numbered(sql), params)

    async def profile(self, subject_id: str) -> ProfileRows | None:
        return postgres_profile_rows(await self._conn.fetchrow(POSTGRES_PROFILE, subject_id))

    async def write_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """A write's statement with the rows it answers (``rows_after_writes``)."""
        return await self._conn.fetch(_numbered(sql), *params)


class NeedsTransaction(Exception):
    """A one-statement write (``AutocommitStatements``) asked, before it wrote anything, for what only a
    transaction gives (another write, a lock, the ORM session): run it again in one (``unit_of_work.write``)."""


class AutocommitStatements(PostgresStatements):
    """PostgreSQL, a one-statement write (``unit_of_work.write``): statements on a pooled connection outside any
    transaction, so each commits as it ends. Reads (``SELECT``) go one by one; the write itself is one
    statement (``write_rows``), its changes guarded by the row versions read (``subject_updates``). Any other
    write, and anything after the write, is refused: before it with ``NeedsTransaction`` (nothing is written
    yet, so the whole write can run again in a transaction), after it as a bug."""

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        self.written = False
        self.broken = False  # the connection failed (``Database.autocommit_transaction`` closes it)

    def _not_yet_written(self, what: str) -> None:
        if self.written:
            raise RuntimeError(f"{what} after a one-statement write's statement")

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self._not_yet_written("a read")
        if not sql.startswith("SELECT ") or "prefcenter_" in sql:  # (the chain's functions lock and write)
            raise NeedsTransaction(sql[:60])
        return await self._read(super().rows(sql, params))

    async def profile(self, subject_id: str) -> ProfileRows | None:
        self._not_yet_written("a read")
        return await self._read(super().profile(subject_id))

    async def _read(self, read: Awaitable[T]) -> T:
        try:
            return await read
        except Exception as exc:
            # A pooled connection is not pinged for a one-statement write: one the server ended (a restart)
            # fails here, lost or with asyncpg's protocol stuck on the server's goodbye. Nothing is written
            # yet: the write runs in a transaction, whose checkout pings.
            if database_outage(exc) is None and not isinstance(exc, InternalClientError):
                raise
            self.broken = True
            raise NeedsTransaction("the connection failed at a read") from exc

    async def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._not_yet_written("a write")
        raise NeedsTransaction(sql[:60])

    async def run_many(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        self._not_yet_written("a write")
        raise NeedsTransaction(sql[:60])

    async def write_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The write: one statement, committed as it ends (written from the moment it is sent: whether it
        committed is unknown if it fails on the way)."""
        self._not_yet_written("a second write")
        self.written = True
        return await self._conn.fetch(_numbered(sql), *params)

    async def run_many_alone(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """After the write: one statement, in a transaction of its own (the signed checkpoints its events
        crossed)."""
        await self._conn.executemany(_numbered(sql), params)


TransactionStatements = SqliteStatements | PostgresStatements


async def transaction_statements(session: AsyncSession) -> TransactionStatements:
    """The statements of ``session``'s transaction, begun here if it was not yet (a write session's on SQLite
    with ``BEGIN IMMEDIATE``)."""
    return await connection_statements(await session.connection())


async def connection_statements(conn: AsyncConnection, pooled: Any = None) -> TransactionStatements:
    """The statements of the transaction ``conn`` is in, begun on the driver connection here if it was not
    yet. ``pooled``: ``conn``'s pooled DBAPI connection, when the caller has it already."""
    raw = pooled if pooled is not None else await conn.get_raw_connection()
    driver = raw.driver_connection
    if conn.dialect.name == "postgresql":
        if not driver.is_in_transaction():
            # SQLAlchemy's asyncpg adapter sends BEGIN with its first statement; begin through it, so the
            # transaction (its commit or rollback) stays SQLAlchemy's. ``_start_transaction`` is that step
            # alone (one round trip); without it, a statement through SQLAlchemy does the same.
            start = getattr(raw.dbapi_connection, "_start_transaction", None)
            if start is not None:
                await start()
            else:
                await conn.exec_driver_sql("SELECT 1")
        return PostgresStatements(driver)
    return SqliteStatements(driver.sqlite3_connection, driver.busy_seconds)


# --- the statements of the hot paths -----------------------------------------------------------------------

_CATALOG_VERSION = "SELECT value FROM meta WHERE key = 'catalog_version'"
_PREFERENCE_STATUSES = "SELECT channel, topic, status FROM preferences WHERE subject_id = ?"
_SET_PREFERENCES = (
    "INSERT INTO preferences (subject_id, channel, topic, status, updated_at) VALUES {rows} "
    "ON CONFLICT (subject_id, channel, topic) DO UPDATE SET status = excluded.status, "
    "updated_at = excluded.updated_at"
)


async def catalog_version(statements: TransactionStatements) -> str | None:
    """``meta.catalog_version`` as this transaction sees it (None before the first catalog change); read
    with the locked subject when there is one."""
    if statements.catalog_version is UNREAD:
        rows = await statements.rows(_CATALOG_VERSION)
        statements.catalog_version = rows[0][0] if rows else None
    return statements.catalog_version


async def preference_statuses(
    statements: TransactionStatements, subject_id: str
) -> dict[tuple[str, str], str]:
    """The subject's stored preferences: (channel, topic) -> status."""
    if subject_id in statements.read_ahead_preferences:  # read with the subject's row, none written since
        return statements.read_ahead_preferences.pop(subject_id)
    return {
        (channel, topic): status
        for channel, topic, status in await statements.rows(_PREFERENCE_STATUSES, (subject_id,))
    }


def preferences_upsert(
    statements: TransactionStatements, subject_id: str, changes: Sequence[tuple[str, str, str]], at: datetime
) -> Write:
    """The statement that stores (channel, topic, status) preferences of the subject, new or changed (each
    pair once), all in one: run later, with the events (``UnitOfWork.set_preferences``)."""
    statements.read_ahead_preferences.clear()
    when = statements.instant(at)
    values = [v for channel, topic, status in changes for v in (subject_id, channel, topic, status, when)]
    return _preferences_upsert_sql(len(changes)), values


@cache
def _preferences_upsert_sql(rows: int) -> str:
    return _SET_PREFERENCES.format(rows=", ".join(["(?, ?, ?, ?, ?)"] * rows))


# --- the subject row a write locks ---------------------------------------------------------------------------

SUBJECT_COLUMNS = (
    "id",
    "external_id",
    "created_at",
    "erased_at",
    "revision",
    "do_not_contact",
    "preferred_channel",
    "language",
    "frequency",
    "legal_hold",
    "links_not_before",
)


@dataclass(slots=True)
class LockedSubject:
    """A subject's row as a write sees it after ``UnitOfWork.lock_subject``; changes to it are written with
    ``UnitOfWork.change_subject`` (and the revision with ``bump_revision``)."""

    id: str
    external_id: str | None
    created_at: datetime
    erased_at: datetime | None
    revision: int
    do_not_contact: bool
    preferred_channel: str | None
    language: str | None
    frequency: str | None
    legal_hold: str | None
    links_not_before: datetime | None
    # PostgreSQL, a one-statement write: the row's version (``xmin``) as read, named by the write's UPDATE
    row_version: int | None = None


async def subject_row(
    statements: TransactionStatements,
    subject_id: str,
    consent_id: str | None = None,
    current_topic: str | None = None,
    preferences: bool = False,
) -> LockedSubject | None:
    """The subject's row; on PostgreSQL locked (``FOR UPDATE``) until the transaction ends (on SQLite the
    transaction holds the one write lock already), or, in a one-statement write (``AutocommitStatements``),
    read with its row version (``LockedSubject.row_version``), which the write's UPDATE names instead. Read
    in the same statement (a round trip saved on PostgreSQL), unless a consent is written first: with
    ``consent_id`` that consent record, for ``consent_record`` to answer once; with ``current_topic`` the id
    of the subject's current record for that topic, for ``replace_current_consent``; with ``preferences``
    the subject's preferences, for ``preference_statuses`` (the last two on PostgreSQL only: SQLite has no
    round trip to save).

    On PostgreSQL the statement's snapshot is taken before it waits for the lock, and only the locked row is
    read again after the wait: a record changed by the transaction that held the lock would be read as it was
    before. Every write that changes a consent record or a preference moves the subject's revision on, so the
    read-ahead is kept only when the locked row's revision is the one the snapshot saw (tested in
    ``tests/store/test_concurrent_writes.py``)."""
    postgres = statements.dialect == "postgresql"
    if consent_id is not None:
        read_ahead, params = "consent", (consent_id, subject_id)
    elif current_topic is not None and postgres:  # (SQLite: no round trip to save)
        read_ahead, params = "current", (current_topic, True, subject_id)
    elif preferences and postgres:
        read_ahead, params = "preferences", (subject_id,)
    else:
        read_ahead, params = "", (subject_id,)
    versioned = isinstance(statements, AutocommitStatements)
    sql = _subject_sql(read_ahead, lock=postgres and not versioned, version=versioned)
    rows = await statements.rows(sql, params)
    if not rows:
        return None
    row = list(rows[0])
    row_version = row.pop() if versioned else None
    statements.catalog_version = row[len(SUBJECT_COLUMNS)]
    read_ahead = row[len(SUBJECT_COLUMNS) + 1 :]
    del row[len(SUBJECT_COLUMNS) :]
    sid, external_id, created, erased, revision, dnc, preferred, language, frequency, hold, not_before = row
    if read_ahead:
        fresh = read_ahead[0] == revision  # (the snapshot's revision first: see above)
        if consent_id is not None:
            consent = read_ahead[1:]
            statements.read_ahead_consents = (
                {consent_id: None if consent[0] is None else _consent_record(consent)} if fresh else {}
            )
        elif current_topic is not None:
            statements.read_ahead_current = {current_topic: read_ahead[1]} if fresh else {}
        else:
            statements.read_ahead_preferences = (
                {sid: {(channel, topic): status for channel, topic, status in read_ahead[1]}} if fresh else {}
            )
    return LockedSubject(
        sid,
        external_id,
        utc_instant(created),
        utc_instant(erased),
        revision,
        bool(dnc),
        preferred,
        language,
        frequency,
        hold,
        utc_instant(not_before),
        row_version,
    )


async def lock_subject_rows(statements: TransactionStatements, subject_ids: Iterable[str]) -> list[str]:
    """Lock the rows of these subjects (PostgreSQL: ``FOR UPDATE``, in id order, so two lockers of many take
    them in one order; SQLite: the transaction holds the one write lock); the ids found."""
    ids = sorted(subject_ids)
    if statements.dialect != "postgresql":
        return ids
    rows = await statements.rows("SELECT id FROM subjects WHERE id = ANY(?) ORDER BY id FOR UPDATE", [ids])
    return [row[0] for row in rows]


Write = tuple[str, list]  # a data-modifying statement and its values, run later (``rows_after_writes``)


def subject_updates(
    statements: TransactionStatements,
    changes: dict[str, dict[str, Any]],
    row_versions: dict[str, int] | None = None,
) -> list[Write]:
    """One UPDATE (SQL and values) per changed subject: subject id -> {column: value} (datetimes aware UTC).
    ``row_versions`` (PostgreSQL, a one-statement write): each UPDATE changes the row only if it is still
    the version read (``xmin``; ``rows_after_writes(guarded=)`` refuses the statement otherwise)."""
    updates = []
    for subject_id, values in changes.items():
        columns = sorted(values)
        if not set(columns) <= set(SUBJECT_COLUMNS[1:]):
            raise ValueError(f"not a subject column: {sorted(set(columns) - set(SUBJECT_COLUMNS))}")
        sql = f"UPDATE subjects SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?"
        params = [
            statements.instant(v) if isinstance(v, datetime) else v for v in (values[c] for c in columns)
        ]
        params.append(subject_id)
        if row_versions is not None:
            sql += " AND xmin = ?::xid"
            params.append(row_versions[subject_id])
        updates.append((sql, params))
    return updates


async def update_subjects(statements: TransactionStatements, changes: dict[str, dict[str, Any]]) -> None:
    """Write changed subject columns: subject id -> {column: value} (datetimes aware UTC)."""
    for sql, params in subject_updates(statements, changes):
        await statements.run(sql, params)


async def rows_after_writes(
    statements: PostgresStatements,
    writes: Sequence[Write],
    sql: str,
    params: Sequence[Any] = (),
    guarded: int = 0,
) -> list[tuple]:
    """PostgreSQL: run the data-modifying statements ``writes`` and the query ``sql`` in one round trip, the
    writes as CTEs of it; its rows. Where ``sql`` says ``{written}`` it gets the count of rows they changed,
    which makes them run before whatever takes that count (a function's arguments are computed before it
    runs: ``prefcenter_chain_append`` takes the chain lock after them). The writes must not depend on each
    other: they all see the statement's snapshot, not each other's rows (PostgreSQL's rule for CTEs). The
    first ``guarded`` writes must each change a row, or the statement fails with ``serialization_failure``
    (``prefcenter_unchanged``, migration 20261205_write_guard), all of it undone."""
    ctes = ", ".join(f"written_{i} AS ({write} RETURNING 1)" for i, (write, _) in enumerate(writes))
    counts = [f"(SELECT count(*) FROM written_{i})" for i in range(len(writes))]
    counts[:guarded] = [f"prefcenter_unchanged({count})" for count in counts[:guarded]]
    query = sql.replace("{written}", " + ".join(counts) or "0")
    return await statements.write_rows(
        f"WITH {ctes} {query}" if writes else query,
        [*(v for _, write_params in writes for v in write_params), *params],
    )


# --- consent records -------------------------------------------------------------------------------------------

CONSENT_COLUMNS = (
    "id",
    "subject_id",
    "topic",
    "channels",
    "status",
    "is_current",
    "notice_version",
    "method",
    "touchpoint",
    "actor_type",
    "actor_id",
    "granted_at",
    "confirmed_at",
    "withdrawn_at",
    "expires_at",
    "superseded_by",
    "evidence_sealed",
    "locale",
    "notice_sha256",
)
_CONSENT_INSTANTS = frozenset({"granted_at", "confirmed_at", "withdrawn_at", "expires_at"})
_CONSENT_SELECT = f"SELECT {', '.join(CONSENT_COLUMNS)} FROM consents"
_CONSENT_BY_ID = _CONSENT_SELECT + " WHERE id = ?"
_INSERT_CONSENT = (
    f"INSERT INTO consents ({', '.join(CONSENT_COLUMNS)}) VALUES ({', '.join('?' * len(CONSENT_COLUMNS))})"
)
# the subject's current record for a topic (at most one is current) superseded by a new one: its id
_SUPERSEDE_CURRENT_CONSENT = (
    "UPDATE consents SET is_current = ?, superseded_by = ? WHERE subject_id = ? AND topic = ? AND is_current = ? "
    "RETURNING id"
)
_json_list = msgspec.json.Decoder(list[str])


@dataclass(slots=True)
class ConsentRecord:
    """One consent record (a row of ``consents``), as a write reads and changes it."""

    id: str
    subject_id: str
    topic: str
    channels: list[str]
    status: str
    is_current: bool
    notice_version: int | None
    method: str
    touchpoint: str
    actor_type: str
    actor_id: str | None
    granted_at: datetime
    confirmed_at: datetime | None
    withdrawn_at: datetime | None
    expires_at: datetime | None
    superseded_by: str | None
    evidence_sealed: bytes | None
    locale: str | None
    notice_sha256: str | None


def _consent_record(row) -> ConsentRecord:
    values = dict(zip(CONSENT_COLUMNS, row, strict=True))
    channels = values["channels"]
    values["channels"] = _json_list.decode(channels) if isinstance(channels, str | bytes) else list(channels)
    values["is_current"] = bool(values["is_current"])
    if values["evidence_sealed"] is not None:
        values["evidence_sealed"] = bytes(values["evidence_sealed"])
    for column in _CONSENT_INSTANTS:
        values[column] = utc_instant(values[column])
    return ConsentRecord(**values)


# a subject's row (``subject_row``) with the catalog version, which the write's catalog checks need next (on
# PostgreSQL a round trip saved); then the revision the statement's snapshot saw and a consent record, the
# current record's id for a topic, or the subject's preferences (the read-ahead); then, in a one-statement
# write, the row's version. ``{seen}``: that revision, read again only under a lock (without one, the row read
# is the snapshot's)
_SEEN_REVISION = "(SELECT seen.revision FROM subjects AS seen WHERE seen.id = subjects.id)"
_SUBJECT_READ_AHEAD = {
    "": ("", "FROM subjects WHERE subjects.id = ?"),
    "consent": (
        f", {{seen}}, {', '.join(f'consents.{c}' for c in CONSENT_COLUMNS)}",
        "FROM subjects LEFT JOIN consents ON consents.id = ? WHERE subjects.id = ?",
    ),
    "current": (
        ", {seen}, (SELECT current.id FROM consents AS current WHERE current.subject_id = subjects.id "
        "AND current.topic = ? AND current.is_current = ? LIMIT 1)",
        "FROM subjects WHERE subjects.id = ?",
    ),
    "preferences": (
        ", {seen}, ARRAY(SELECT (p.channel, p.topic, p.status) FROM preferences AS p "
        "WHERE p.subject_id = subjects.id)",
        "FROM subjects WHERE subjects.id = ?",
    ),
}


@cache
def _subject_sql(read_ahead: str, lock: bool, version: bool) -> str:
    columns, source = _SUBJECT_READ_AHEAD[read_ahead]
    columns = columns.format(seen=_SEEN_REVISION if lock else "subjects.revision")
    return (
        f"SELECT {', '.join(f'subjects.{c}' for c in SUBJECT_COLUMNS)}, ({_CATALOG_VERSION}){columns}"
        f"{', subjects.xmin' if version else ''} {source}{' FOR UPDATE OF subjects' if lock else ''}"
    )


async def consent_record(statements: TransactionStatements, consent_id: str) -> ConsentRecord | None:
    if consent_id in statements.read_ahead_consents:  # read with the subject's row, no consent written since
        return statements.read_ahead_consents.pop(consent_id)
    rows = await statements.rows(_CONSENT_BY_ID, (consent_id,))
    return _consent_record(rows[0]) if rows else None


# (the same, the current record's id known already: written with the event, ``replace_current_consent``)
_SUPERSEDE_CURRENT_CONSENT_HELD = _SUPERSEDE_CURRENT_CONSENT.removesuffix(" RETURNING id")
# PostgreSQL: the current record superseded and the new one inserted in one statement (one round trip)
_SUPERSEDE_CURRENT_AND_INSERT_CONSENT = f"WITH superseded AS ({_SUPERSEDE_CURRENT_CONSENT}), inserted AS ({_INSERT_CONSENT}) SELECT id FROM superseded"


def _consent_values(statements: TransactionStatements, consent: ConsentRecord) -> list:
    values = []
    for column in CONSENT_COLUMNS:
        value = getattr(consent, column)
        if column == "channels":
            value = json.dumps(value)  # as SQLAlchemy's JSON type writes it
        elif column in _CONSENT_INSTANTS:
            value = statements.instant(value)
        values.append(value)
    return values


async def replace_current_consent(
    statements: TransactionStatements, consent: ConsentRecord
) -> tuple[str | None, list[Write]]:
    """Store a new current consent record: the subject's current one for its topic (at most one is current)
    is no longer current, superseded by it. The id of the record superseded (None when there was none), and
    the writes still to run, which go with the event (``UnitOfWork.append_event(writes=)``): on PostgreSQL,
    when the current record's id was read with the subject's lock (``subject_row(current_topic=)``), both;
    otherwise none (run here: on PostgreSQL one statement, on SQLite two)."""
    known = statements.dialect == "postgresql" and consent.topic in statements.read_ahead_current
    current_id = statements.read_ahead_current.get(consent.topic)
    clear_read_ahead(statements)
    values = _consent_values(statements, consent)
    supersede = [False, consent.id, consent.subject_id, consent.topic, True]
    if known:
        writes: list[Write] = [(_INSERT_CONSENT, values)]
        if current_id is not None:
            writes.insert(0, (_SUPERSEDE_CURRENT_CONSENT_HELD, supersede))
        return current_id, writes
    if statements.dialect == "postgresql":
        rows = await statements.rows(_SUPERSEDE_CURRENT_AND_INSERT_CONSENT, [*supersede, *values])
    else:
        rows = await statements.rows(_SUPERSEDE_CURRENT_CONSENT, supersede)
        await statements.run(_INSERT_CONSENT, values)
    return (rows[0][0] if rows else None), []


def consent_update(statements: TransactionStatements, consent: ConsentRecord, **values: Any) -> Write:
    """Set columns of a consent record (the object shows them at once): the UPDATE to run, which goes with the
    event (``UnitOfWork.append_event(writes=)``)."""
    clear_read_ahead(statements)
    for column, value in values.items():
        if column not in CONSENT_COLUMNS[1:]:
            raise ValueError(f"not a consent column: {column}")
        setattr(consent, column, value)
    columns = sorted(values)
    sql = f"UPDATE consents SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?"
    params = [statements.instant(values[c]) if c in _CONSENT_INSTANTS else values[c] for c in columns]
    return sql, [*params, consent.id]


async def update_consent(statements: TransactionStatements, consent: ConsentRecord, **values: Any) -> None:
    """Set columns of a consent record (the object shows them at once) with one UPDATE, run now."""
    await statements.run(*consent_update(statements, consent, **values))


def clear_read_ahead(statements: TransactionStatements) -> None:
    """A consent is written: what ``subject_row`` read ahead of it may no longer be so."""
    statements.read_ahead_consents.clear()
    statements.read_ahead_current.clear()


_LAPSED_CONSENTS = (
    _CONSENT_SELECT
    + " WHERE status = 'granted' AND is_current = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?"
)
_UNCONFIRMED_CONSENTS = (
    _CONSENT_SELECT
    + " WHERE status = 'pending_confirmation' AND is_current = ? AND granted_at <= ? ORDER BY granted_at LIMIT ?"
)


async def lapsed_consents(
    statements: TransactionStatements, now: datetime, limit: int
) -> list[ConsentRecord]:
    """Current granted consents whose lifetime ended by ``now``, the longest lapsed first."""
    rows = await statements.rows(_LAPSED_CONSENTS, (True, statements.instant(now), limit))
    return [_consent_record(row) for row in rows]


async def unconfirmed_consents(
    statements: TransactionStatements, granted_by: datetime, limit: int
) -> list[ConsentRecord]:
    """Current consents still waiting for double opt-in that were asked for by ``granted_by``, oldest first."""
    rows = await statements.rows(_UNCONFIRMED_CONSENTS, (True, statements.instant(granted_by), limit))
    return [_consent_record(row) for row in rows]
