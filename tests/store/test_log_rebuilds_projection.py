"""Property: whatever sequence of changes is made, the chain verifies and replaying the log's events
gives exactly the current-state projection (the log is the proof and can rebuild the state)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from prefcenter.audit.service import verify_log
from prefcenter.context import AppContext
from prefcenter.demo import load_demo
from prefcenter.store.models import Event, Preference, Subject
from prefcenter.store.unit_of_work import Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate, SubjectCreate

PAIRS = [
    ("email", "newsletter"),
    ("sms", "newsletter"),
    ("email", "product_updates"),
    ("push", "product_updates"),
    ("sms", "*"),
    ("email", "*"),
    ("post", "billing"),
]
changes = st.lists(
    st.tuples(
        st.integers(0, 2),  # which subject
        st.lists(
            st.tuples(st.sampled_from(PAIRS), st.sampled_from(["opted_in", "opted_out"])),
            max_size=4,
            unique_by=lambda item: item[0],
        ),
        st.one_of(st.none(), st.booleans()),  # do_not_contact
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def sqlite_backend(new_backend):
    return new_backend("sqlite")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan=changes)
def test_events_replay_to_the_projection(sqlite_backend, plan):
    asyncio.run(_check(sqlite_backend, plan))


async def _check(backend, plan) -> None:
    ctx = AppContext.build(backend)
    try:
        await load_demo(ctx)
        actor = Actor("client", "property-test")
        async with ctx.unit_of_work() as uow:
            ids = [(await subjects.create_subject(uow, actor, SubjectCreate())).id for _ in range(3)]
        for who, items, dnc in plan:
            body = PreferencesUpdate(
                touchpoint="api",
                items=[PreferenceItem(channel=c, topic=t, status=s) for (c, t), s in items],
                do_not_contact=dnc,
            )
            async with ctx.unit_of_work() as uow:
                await subjects.update_preferences(uow, actor, ids[who], body, None)

        async with ctx.db.read_session() as session:
            assert (await verify_log(session, ctx.keys)).ok
            events = (await session.execute(select(Event).order_by(Event.seq))).scalars().all()
            replayed: dict[tuple[str, str, str], str] = {}
            dnc_replayed: dict[str, bool] = {}
            for e in events:
                data = msgspec.json.decode(e.data)
                if e.type == "preference.set":
                    replayed[(e.subject_id, data["channel"], data["topic"])] = data["status"]
                elif e.type == "subject.settings_changed" and "do_not_contact" in data:
                    dnc_replayed[e.subject_id] = data["do_not_contact"]
            projection = {
                (p.subject_id, p.channel, p.topic): p.status
                for p in (
                    await session.execute(select(Preference).where(Preference.subject_id.in_(ids)))
                ).scalars()
            }
            assert {k: v for k, v in replayed.items() if k[0] in ids} == projection
            for subject in (await session.execute(select(Subject).where(Subject.id.in_(ids)))).scalars():
                assert subject.do_not_contact == dnc_replayed.get(subject.id, False)
    finally:
        await ctx.db.dispose()
