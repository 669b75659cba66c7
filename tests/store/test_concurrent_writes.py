"""Writes at the same time (each unit of work on its own connection on PostgreSQL) still make one unbroken
hash chain: every event linked to the one committed before it, the checkpoints on it, every change with its
events, and every save's answer the state its commit made."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from prefcenter.audit.service import verify_log
from prefcenter.consents import service as consents
from prefcenter.consents.profile import written_profile
from prefcenter.consents.schemas import ConsentGrant
from prefcenter.context import AppContext
from prefcenter.demo import load_demo
from prefcenter.store.models import Event, Preference
from prefcenter.store.unit_of_work import CHECKPOINT_EVERY, Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate, SubjectCreate

ACTOR = Actor("client", "concurrency-test")
ROUNDS = 8  # 256 events: at least one checkpoint on the way
PEOPLE = 8


@pytest.fixture
async def ctx(backend):
    context = AppContext.build(backend)
    await load_demo(context)
    yield context
    await context.db.dispose()


async def _save(ctx: AppContext, subject_id: str, status: str) -> None:
    body = PreferencesUpdate(
        touchpoint="api",
        items=[
            PreferenceItem(channel="email", topic="product_updates", status=status),
            PreferenceItem(channel="push", topic="product_updates", status=status),
        ],
        do_not_contact=status == "opted_out",
    )
    async with ctx.unit_of_work() as uow:
        subject = await subjects.update_preferences(uow, ACTOR, subject_id, body, None)
        answer = await written_profile(uow, subject_id)
    assert answer.revision == subject.revision
    assert {(p.channel, p.topic): p.status for p in answer.preferences}[
        ("email", "product_updates")
    ] == status


async def _grant(ctx: AppContext, subject_id: str) -> None:
    grant = ConsentGrant(
        topic="offers", channels=["email"], notice_version=1, method="checkbox", touchpoint="web"
    )
    async with ctx.unit_of_work() as uow:
        subject = await uow.lock_subject(subject_id)
        uow.bump_revision(subject)
        await consents.grant(uow, ACTOR, subject_id, grant, None)


async def test_concurrent_saves_and_grants_make_one_unbroken_chain(ctx):
    async with ctx.unit_of_work() as uow:
        ids = [(await subjects.create_subject(uow, ACTOR, SubjectCreate())).id for _ in range(PEOPLE)]
    async with ctx.db.read_session() as session:
        before = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
    for round_number in range(ROUNDS):
        status = "opted_out" if round_number % 2 == 0 else "opted_in"
        await asyncio.gather(
            *(_save(ctx, subject_id, status) for subject_id in ids),
            *(_grant(ctx, subject_id) for subject_id in ids),
        )
    async with ctx.db.read_session() as session:
        verification = await verify_log(session, ctx.keys)
        assert verification.ok, verification
        events = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
        # per round and person: two preference events, a settings change, a grant
        assert events - before == ROUNDS * PEOPLE * 4
        assert ROUNDS * PEOPLE * 4 >= CHECKPOINT_EVERY and verification.checkpoints_checked >= 1
        stored = (
            await session.execute(select(Preference.status).where(Preference.subject_id.in_(ids)))
        ).scalars()
        assert set(stored) == {"opted_in"}
