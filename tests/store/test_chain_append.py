"""Events appended in one unit of work, few or many at once (on PostgreSQL ``prefcenter_chain_append`` takes
a few as listed values and many as array values): every one linked, hashed as ``chain_hash`` hashes it, and
the signed checkpoints they cross written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from prefcenter.audit.service import verify_log
from prefcenter.context import AppContext
from prefcenter.store.models import Checkpoint, Event
from prefcenter.store.unit_of_work import CHECKPOINT_EVERY, Actor, NewEvent

ACTOR = Actor("client", "chain-append-test", site="shop")


@pytest.fixture
async def ctx(backend):
    context = AppContext.build(backend)
    yield context
    await context.db.dispose()


async def test_few_and_many_events_at_once_make_one_verified_chain(ctx):
    batches = [1, 2, 8, 9, 30, CHECKPOINT_EVERY]  # the last crosses a checkpoint
    async with ctx.db.read_session() as session:
        before = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
        signed = (await session.execute(select(func.count()).select_from(Checkpoint))).scalar_one()
    for size in batches:
        async with ctx.unit_of_work() as uow:
            await uow.append_events(
                NewEvent(
                    "test.event",
                    ACTOR if i % 2 else Actor("system", None),
                    touchpoint=None if i % 3 else "web",
                    data={"i": i, "size": size, "text": "naïve ' \" \\ \u2028"},
                    sealed=None,
                )
                for i in range(size)
            )
    async with ctx.unit_of_work() as uow:
        seq = await uow.append_event("test.single", actor=ACTOR, data={"last": True})
    async with ctx.db.read_session() as session:
        events = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
        checkpoints = (await session.execute(select(func.count()).select_from(Checkpoint))).scalar_one()
        verification = await verify_log(session, ctx.keys)
    assert events == seq == before + sum(batches) + 1
    assert checkpoints - signed == seq // CHECKPOINT_EVERY - before // CHECKPOINT_EVERY >= 1
    assert verification.ok and verification.checkpoints_checked == checkpoints
