"""The projection reader of a ``Database``: the fastest one for its engine, one per database handle."""

from __future__ import annotations

import weakref

from sqlalchemy.engine import make_url

from prefcenter.store.database import Database, sqlite_file
from prefcenter.store.pg_connections import asyncpg_dsn
from prefcenter.store.projection_rows import ProjectionReader
from prefcenter.store.projections_engine import EngineProjectionReader
from prefcenter.store.projections_postgres import PostgresProjectionReader
from prefcenter.store.projections_sqlite import SqliteProjectionReader

_readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def new_reader(db: Database) -> ProjectionReader:
    """Sync ``sqlite3`` on a SQLite file, asyncpg on PostgreSQL, the portable engine reader otherwise."""
    if db.sqlite_path is not None:
        return SqliteProjectionReader(str(db.sqlite_path))
    engine = db.read_engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        return PostgresProjectionReader(asyncpg_dsn(engine.url))
    return EngineProjectionReader(engine)


def projection_reader(db: Database) -> ProjectionReader:
    """The reader of ``db``, made on first use; its connections close with ``db``."""
    reader = _readers.get(db)
    if reader is None:
        reader = _readers[db] = new_reader(db)
        weakref.finalize(db, reader.close)
    return reader


def reader_for_url(url: str, connections: int = 1) -> ProjectionReader:
    """A reader of its own for the database at ``url`` (a check worker process): ``sqlite3`` on a SQLite
    file, asyncpg on PostgreSQL."""
    path = sqlite_file(url)
    if path is not None:
        return SqliteProjectionReader(str(path))
    return PostgresProjectionReader(asyncpg_dsn(make_url(url)), connections)
