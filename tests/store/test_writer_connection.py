"""A unit of work's statements and its ORM session are one transaction: committed together, rolled back
together on an error (both engines). On a SQLite file they run on the process's writer connection
(``Database.writer_transaction``), which must be left usable after a rollback and replaced after an outage
error. On PostgreSQL a pooled connection that died while idle is replaced before use."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import asyncpg
import pytest
from sqlalchemy import bindparam, text

from prefcenter.store.database import Database
from prefcenter.store.unit_of_work import unit_of_work

_INSERT = "INSERT INTO meta (key, value) VALUES (?, ?)"


@pytest.fixture
async def db(backend):
    database = Database(backend.database.url)
    yield database
    await database.dispose()


async def _stored(db: Database, *keys: str) -> set[str]:
    async with db.read_session() as session:
        query = text("SELECT key FROM meta WHERE key IN :keys").bindparams(bindparam("keys", expanding=True))
        rows = await session.execute(query, {"keys": list(keys)})
    return {key for (key,) in rows}


async def test_statements_and_session_commit_together(db):
    first, second = f"w-{uuid.uuid4().hex}", f"w-{uuid.uuid4().hex}"
    async with unit_of_work(db, keys=None) as uow:
        await (await uow.statements()).run(_INSERT, (first, "statements"))
        await uow.session.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'session')"), {"k": second})
    assert await _stored(db, first, second) == {first, second}


async def test_session_first_then_statements_commit_together(db):
    first, second = f"w-{uuid.uuid4().hex}", f"w-{uuid.uuid4().hex}"
    async with unit_of_work(db, keys=None) as uow:
        await uow.session.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'session')"), {"k": first})
        await (await uow.statements()).run(_INSERT, (second, "statements"))
    assert await _stored(db, first, second) == {first, second}


async def test_an_error_rolls_both_back_and_the_next_write_works(db):
    first, second, third = (f"w-{uuid.uuid4().hex}" for _ in range(3))
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, keys=None) as uow:
            await (await uow.statements()).run(_INSERT, (first, "statements"))
            await uow.session.execute(text("INSERT INTO meta (key, value) VALUES (:k, 'x')"), {"k": second})
            raise RuntimeError("the write failed")
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, keys=None) as uow:
            await (await uow.statements()).run(_INSERT, (first, "statements only"))
            raise RuntimeError("the write failed")
    async with unit_of_work(db, keys=None) as uow:
        await (await uow.statements()).run(_INSERT, (third, "statements"))
    assert await _stored(db, first, second, third) == {third}


async def test_after_an_outage_error_the_next_write_gets_a_working_connection(db):
    if not db.is_sqlite:
        pytest.skip("the SQLite writer connection")
    first, second = f"w-{uuid.uuid4().hex}", f"w-{uuid.uuid4().hex}"
    with pytest.raises(sqlite3.OperationalError):
        async with unit_of_work(db, keys=None) as uow:
            await (await uow.statements()).run(_INSERT, (first, "statements"))
            raise sqlite3.OperationalError("disk I/O error")
    async with unit_of_work(db, keys=None) as uow:
        await (await uow.statements()).run(_INSERT, (second, "statements"))
        await uow.session.execute(text("SELECT 1"))
    assert await _stored(db, first, second) == {second}


async def test_a_postgresql_connection_that_died_in_the_pool_is_replaced_before_use(db):
    if db.is_sqlite:
        pytest.skip("PostgreSQL's pool")
    async with db.write_session() as session:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    admin = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.sleep(0.1)
    async with db.write_session() as session:
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid


@pytest.mark.parametrize("first_use", ["statements", "session"])
async def test_a_unit_of_work_on_a_connection_that_died_in_the_pool_gets_a_new_one(db, first_use):
    """A write transaction's checkout pings with its own BEGIN: a dead connection is replaced before use, and
    the transaction begun on the new one commits; a rollback leaves nothing behind."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's pool")
    async with unit_of_work(db, keys=None) as uow:
        pid = (await (await uow.statements()).rows("SELECT pg_backend_pid()"))[0][0]
    admin = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.sleep(0.1)
    kept, dropped = f"w-{uuid.uuid4().hex}", f"w-{uuid.uuid4().hex}"
    async with unit_of_work(db, keys=None) as uow:
        if first_use == "session":
            await uow.session.execute(
                text("INSERT INTO meta (key, value) VALUES (:k, 'session')"), {"k": kept}
            )
        else:
            await (await uow.statements()).run(_INSERT, (kept, "statements"))
        assert (await (await uow.statements()).rows("SELECT pg_backend_pid()"))[0][0] != pid
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, keys=None) as uow:  # begun by the ping on the pooled connection
            await (await uow.statements()).run(_INSERT, (dropped, "statements"))
            raise RuntimeError("the write failed")
    assert await _stored(db, kept, dropped) == {kept}
