"""Bulk reads and writes on the database driver itself (sqlite3 behind aiosqlite, or asyncpg), for imports.

SQLAlchemy's per-row, per-column bind processing was the largest single cost of an import, so the chunk
transaction hands its rows to the driver directly: ``executemany`` on SQLite, binary ``COPY`` on
PostgreSQL. It runs on the session's own connection, inside the session's transaction (the chunk stays
atomic with the chain head read under the chain lock), and values are given in the form SQLAlchemy's
column types store them (``instant``: SQLite ``DATETIME`` text; JSON as ``json.dumps`` text on both), so the
rows read back through the ORM exactly as if it had written them (``tests/imports/test_stored_form.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

_IN_BATCH = 5000  # values per IN (...) list on SQLite: far below its bound-parameter limit


class BulkConnection:
    """The driver connection under ``session``'s transaction, with the few operations the import needs."""

    def __init__(self, driver) -> None:
        self._conn = driver

    @staticmethod
    async def of(session: AsyncSession) -> BulkConnection:
        """Call after the session has run a statement: its transaction must have begun on the connection."""
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        if connection.dialect.name == "sqlite":
            bulk: BulkConnection = SqliteBulk(driver)
        elif connection.dialect.name == "postgresql":
            bulk = PostgresBulk(driver)
        else:  # pragma: no cover - the two engines prefcenter supports
            raise NotImplementedError(connection.dialect.name)
        if not bulk.in_transaction():
            raise RuntimeError("the bulk connection must be used inside the session's transaction")
        return bulk

    def in_transaction(self) -> bool:
        raise NotImplementedError

    @staticmethod
    def instant(moment: datetime | None):
        """A timezone-aware UTC datetime in the driver's form for a ``UTCDateTime`` column."""
        raise NotImplementedError

    async def select_in(self, columns: str, table: str, column: str, values: Iterable[str]) -> list:
        """``SELECT columns FROM table WHERE column IN values`` (``column`` may be prefixed by conditions
        joined with AND, e.g. ``"is_current = TRUE AND subject_id"``)."""
        raise NotImplementedError

    async def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        raise NotImplementedError

    async def update(self, sql: str, rows: list[tuple]) -> None:
        """``executemany`` of an UPDATE written with ``?`` placeholders."""
        raise NotImplementedError


class SqliteBulk(BulkConnection):
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @staticmethod
    def instant(moment: datetime | None):
        # SQLAlchemy's SQLite DATETIME storage format, "YYYY-MM-DD HH:MM:SS.ffffff" (UTCDateTime keeps UTC)
        return None if moment is None else moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    async def select_in(self, columns: str, table: str, column: str, values: Iterable[str]) -> list:
        values = list(values)
        out: list = []
        for i in range(0, len(values), _IN_BATCH):
            batch = values[i : i + _IN_BATCH]
            sql = f"SELECT {columns} FROM {table} WHERE {column} IN ({','.join('?' * len(batch))})"
            out.extend(await self._conn.execute_fetchall(sql, batch))
        return out

    async def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            await self._conn.executemany(sql, rows)

    async def update(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            await self._conn.executemany(sql, rows)


class PostgresBulk(BulkConnection):
    def in_transaction(self) -> bool:
        return self._conn.is_in_transaction()

    @staticmethod
    def instant(moment: datetime | None):
        return moment  # asyncpg's timestamptz codec takes aware datetimes

    async def select_in(self, columns: str, table: str, column: str, values: Iterable[str]) -> list:
        values = list(values)
        if not values:
            return []
        return await self._conn.fetch(
            f"SELECT {columns} FROM {table} WHERE {column} = ANY($1::varchar[])", values
        )

    async def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            await self._conn.copy_records_to_table(table, records=rows, columns=columns)

    async def update(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            parts = sql.split("?")
            numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
            await self._conn.executemany(numbered, rows)
