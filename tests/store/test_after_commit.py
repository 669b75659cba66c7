"""``Database.after_commit``: work about what a request wrote (a confirmation mail) runs once it is committed,
never for a rolled-back write, and outside the write turn (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from prefcenter.store.database import Database


@pytest.fixture
async def db(backend):
    database = Database(backend.database.url)
    yield database
    await database.dispose()


async def test_outside_a_request_transaction_it_runs_at_once(db):
    ran = []
    await db.after_commit(lambda: _note(ran, "now"))
    assert ran == ["now"]


async def test_inside_one_it_waits_for_the_commit_and_the_write_turn(db):
    ran = []

    async def write_again() -> None:
        # Another write transaction of this process: possible only once the request's write turn is over.
        async with db.write_session() as session:
            await session.execute(text("SELECT 1"))
        ran.append("after")

    async with db.request_transaction() as transaction:
        await db.after_commit(write_again)
        assert ran == []
        await transaction.commit()
        assert ran == []
    assert ran == ["after"]


async def test_a_request_that_does_not_commit_runs_nothing(db):
    ran = []
    async with db.request_transaction():
        await db.after_commit(lambda: _note(ran, "never"))
    assert ran == []


async def test_what_was_committed_is_followed_up_even_if_the_request_fails_afterwards(db):
    ran = []
    with pytest.raises(RuntimeError):
        async with db.request_transaction() as transaction:
            await db.after_commit(lambda: _note(ran, "sent"))
            await transaction.commit()
            raise RuntimeError("the handler failed after its commit")
    assert ran == ["sent"]


async def _note(ran: list, what: str) -> None:
    ran.append(what)
