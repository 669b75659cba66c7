"""``INSERT ... ON CONFLICT`` for the session's dialect (SQLite and PostgreSQL spell it alike, but
SQLAlchemy builds it from each dialect's own ``insert``)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_into(session: AsyncSession, table):
    """An insert into ``table`` (a model or table) offering ``on_conflict_do_nothing`` and
    ``on_conflict_do_update``, for the engine ``session`` is bound to."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    return insert(table)
