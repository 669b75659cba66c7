"""One-statement writes (``unit_of_work.write``): on PostgreSQL a grant, withdrawal or confirmation reads without
a lock and writes its changes and event in one statement that names the subject's row version. A change to the
subject in between makes that statement fail whole, and the write runs again on what is there now; a write that
needs a transaction runs in one; a pooled connection found dead at the first read is replaced. On SQLite every
write runs in a transaction: the same tests hold there too."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest
from sqlalchemy import func, select

from prefcenter.audit.service import verify_log
from prefcenter.consents import service as consents
from prefcenter.consents.profile import read_profile, written_profile
from prefcenter.consents.schemas import ConsentGrant, ConsentWithdraw, Evidence
from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.demo import load_demo
from prefcenter.errors import Conflict
from prefcenter.store.database import AUTOCOMMIT_IDLE
from prefcenter.store.models import Consent, Event
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate, SubjectCreate

ACTOR = Actor("client", "one-statement-test")
GRANT = ConsentGrant(
    topic="offers", channels=["email"], notice_version=1, method="checkbox", touchpoint="web"
)


async def _subject(ctx: AppContext) -> str:
    async with ctx.unit_of_work() as uow:
        return (await subjects.create_subject(uow, ACTOR, SubjectCreate())).id


async def _grant(uow: UnitOfWork, subject_id: str, evidence: Evidence | None = None) -> str:
    subject = await uow.lock_subject(subject_id, current_topic=GRANT.topic)
    uow.bump_revision(subject)
    return (await consents.grant(uow, ACTOR, subject_id, GRANT, evidence)).id


async def _current_and_superseded(
    ctx: AppContext, subject_id: str
) -> tuple[list[str], dict[str, str | None]]:
    async with ctx.db.read_session() as session:
        mine = Consent.subject_id == subject_id
        current = (await session.execute(select(Consent.id).where(mine, Consent.is_current))).scalars().all()
        superseded = dict(
            (await session.execute(select(Consent.id, Consent.superseded_by).where(mine))).all()
        )
        assert (await verify_log(session, ctx.keys)).ok
    return list(current), superseded


async def test_a_grant_whose_subject_changed_after_its_read_runs_again_and_supersedes_the_newer_record(ctx):
    subject_id = await _subject(ctx)
    older = await ctx.write(lambda uow: _grant(uow, subject_id))
    attempts, meanwhile = [], []

    async def grant_while_another_grant_commits(uow: UnitOfWork) -> str:
        attempts.append(uow.one_statement)
        subject = await uow.lock_subject(subject_id, current_topic=GRANT.topic)
        if uow.one_statement and not meanwhile:  # read, not locked: another grant commits in between
            meanwhile.append(await ctx.write(lambda other: _grant(other, subject_id)))
        uow.bump_revision(subject)
        return (await consents.grant(uow, ACTOR, subject_id, GRANT, None)).id

    newest = await ctx.write(grant_while_another_grant_commits)
    current, superseded = await _current_and_superseded(ctx, subject_id)
    if ctx.db.dialect == "postgresql":
        assert attempts == [True, True]  # the first statement failed whole, the second read the new record
        newer = meanwhile[0]
        assert superseded == {older: newer, newer: newest, newest: None}
    else:
        assert attempts == [False] and superseded == {older: newest, newest: None}
    assert current == [newest]
    async with ctx.db.read_session() as session:
        grants = (
            await session.execute(
                select(func.count()).where(Event.type == "consent.granted", Event.subject_id == subject_id)
            )
        ).scalar_one()
    assert grants == len(superseded)  # one event per record: the failed statement left none


async def test_a_withdrawal_of_a_record_superseded_after_its_read_answers_superseded(ctx):
    subject_id = await _subject(ctx)
    older = await ctx.write(lambda uow: _grant(uow, subject_id))
    meanwhile = []

    async def withdraw_while_a_grant_commits(uow: UnitOfWork) -> None:
        subject = await uow.lock_subject(subject_id, consent_id=older)
        if uow.one_statement and not meanwhile:
            meanwhile.append(await ctx.write(lambda other: _grant(other, subject_id)))
        uow.bump_revision(subject)
        await consents.withdraw(uow, ACTOR, subject_id, older, ConsentWithdraw(touchpoint="web"))

    if ctx.db.dialect == "postgresql":
        with pytest.raises(Conflict) as refused:
            await ctx.write(withdraw_while_a_grant_commits)
        assert refused.value.extra["reason"] == "superseded"
        current, superseded = await _current_and_superseded(ctx, subject_id)
        assert current == meanwhile and superseded[older] == meanwhile[0]
        async with ctx.db.read_session() as session:
            statuses = (
                await session.execute(select(Consent.status).where(Consent.subject_id == subject_id))
            ).scalars()
            assert set(statuses) == {"granted"}
    else:
        await ctx.write(withdraw_while_a_grant_commits)
        assert (await _current_and_superseded(ctx, subject_id))[0] == [older]


async def test_a_write_that_needs_a_transaction_runs_in_one(ctx):
    """A grant that first asks the ORM session for something: on PostgreSQL the one-statement attempt stops
    before it writes anything, and the grant runs again in a transaction."""
    subject_id = await _subject(ctx)
    await ctx.write(lambda uow: _grant(uow, subject_id))
    attempts = []

    async def grant_after_a_session_read(uow: UnitOfWork) -> str:
        attempts.append(uow.one_statement)
        await uow.session.execute(select(func.count()).select_from(Consent))
        return await _grant(uow, subject_id)

    granted = await ctx.write(grant_after_a_session_read)
    assert attempts == ([True, False] if ctx.db.dialect == "postgresql" else [False])
    current, _ = await _current_and_superseded(ctx, subject_id)
    assert current == [granted]
    async with ctx.db.read_session() as session:
        events = (
            await session.execute(select(func.count()).where(Event.subject_id == subject_id))
        ).scalar_one()
    assert events == 3  # subject.created and two grants: the second once


async def test_a_grant_with_evidence_seals_it_with_the_subjects_key(ctx):
    """The widget's grants carry evidence (IP, user agent), sealed with the subject's data key, which a
    one-statement write reads as it reads the rest."""
    subject_id = await _subject(ctx)
    await ctx.write(lambda uow: _grant(uow, subject_id))
    attempts = []

    async def grant_with_evidence(uow: UnitOfWork) -> str:
        attempts.append(uow.one_statement)
        return await _grant(uow, subject_id, Evidence(ip="192.0.2.7", note="signed at the desk"))

    granted = await ctx.write(grant_with_evidence)
    assert attempts == [ctx.db.dialect == "postgresql"]
    async with ctx.db.read_session() as session:
        sealed = (
            await session.execute(select(Consent.evidence_sealed).where(Consent.id == granted))
        ).scalar()
    async with ctx.unit_of_work() as uow:
        evidence = crypto.unseal_json(await uow.data_key(subject_id), sealed)
    assert evidence == {"ip": "192.0.2.7", "note": "signed at the desk"}


@pytest.mark.postgres
async def test_a_second_write_after_the_statement_is_refused(ctx):
    if ctx.db.dialect != "postgresql":
        pytest.skip("one-statement writes are PostgreSQL's")
    subject_id = await _subject(ctx)
    await ctx.write(lambda uow: _grant(uow, subject_id))  # (the write catalog loaded: it needs the session)

    async def two_events(uow: UnitOfWork) -> None:
        await _grant(uow, subject_id)
        await uow.append_event("test.second", actor=ACTOR, subject_id=subject_id)

    with pytest.raises(RuntimeError, match="after a one-statement write"):
        await ctx.write(two_events)


@pytest.fixture
async def own_pg_ctx(new_backend):
    """A PostgreSQL database of this test's own: it ends every other session of its database."""
    context = AppContext.build(new_backend("postgres"))
    await load_demo(context)
    yield context
    await context.db.dispose()


@pytest.mark.postgres
async def test_a_pooled_connection_found_dead_at_the_first_read_is_replaced(own_pg_ctx):
    """The database restarted (here: every other session of the database ended by the server): the
    one-statement write's checkout is not pinged, so its first read fails, before anything is written; the
    write then runs in a transaction, whose checkout pings and replaces the dead connections."""
    ctx = own_pg_ctx
    subject_id = await _subject(ctx)
    await ctx.write(lambda uow: _grant(uow, subject_id))  # a connection back in the pool
    url = ctx.db.url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(url)
    try:
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert ended >= 1
    attempts = []

    async def grant(uow: UnitOfWork) -> str:
        attempts.append(uow.one_statement)
        return await _grant(uow, subject_id)

    granted = await ctx.write(grant)
    assert attempts[0] is True and attempts[-1] is False
    current, _ = await _current_and_superseded(ctx, subject_id)
    assert current == [granted]
    async with ctx.db.read_session() as session:
        data = (
            await session.execute(
                select(Event.data).where(Event.type == "consent.granted").order_by(Event.seq.desc()).limit(1)
            )
        ).scalar()
    assert json.loads(data)["consent_id"] == granted


async def test_a_saves_answer_is_the_profile_a_read_then_gives(api):
    """On PostgreSQL a save's answer is made from what it read before its one statement, with its changes
    applied: it must be what a read after it gives (new pairs and changed ones, settings, revision)."""
    subject = await api.new_subject(identities=[{"kind": "email", "value": "answer@example.com"}])
    headers = await api.headers("preferences:write", "preferences:read")
    url = f"/v1/subjects/{subject['id']}"
    saves = [
        {
            "touchpoint": "api",
            "items": [
                {"channel": "email", "topic": "product_updates", "status": "opted_in"},
                {"channel": "sms", "topic": "*", "status": "opted_out"},
            ],
            "language": "de",
        },
        {
            "touchpoint": "web",
            "items": [
                {"channel": "email", "topic": "product_updates", "status": "opted_out"},
                {"channel": "push", "topic": "product_updates", "status": "opted_in"},
                {"channel": "email", "topic": "offers", "status": "opted_out"},
            ],
            "do_not_contact": True,
        },
        {
            "touchpoint": "web",
            "items": [{"channel": "push", "topic": "product_updates", "status": "opted_in"}],
        },
    ]
    revisions = []
    for body in saves:
        saved = await api.client.patch(f"{url}/preferences", json=body, headers=headers)
        assert saved.status_code == 200, saved.text
        read = await api.client.get(f"{url}/profile", headers=headers)
        assert saved.json() == read.json()
        assert saved.headers["etag"] == read.headers["etag"]
        revisions.append(read.json()["revision"])
    assert revisions[1] == revisions[0] + 1 and revisions[2] == revisions[1]  # the last save changed nothing


async def test_a_save_whose_subject_changed_after_its_read_runs_again(ctx):
    subject_id = await _subject(ctx)
    attempts, meanwhile = [], []

    def update(channel: str) -> PreferencesUpdate:
        return PreferencesUpdate(
            touchpoint="api",
            items=[PreferenceItem(channel=channel, topic="product_updates", status="opted_out")],
        )

    async def save_while_another_save_commits(uow: UnitOfWork):
        attempts.append(uow.one_statement)
        await uow.lock_subject(subject_id, preferences=True)
        if uow.one_statement and not meanwhile:
            meanwhile.append(
                await ctx.write(
                    lambda other: subjects.update_preferences(other, ACTOR, subject_id, update("push"), None)
                )
            )
        await subjects.update_preferences(uow, ACTOR, subject_id, update("email"), None)
        return await written_profile(uow, subject_id)

    answer = await ctx.write(save_while_another_save_commits)
    assert attempts == ([True, True] if ctx.db.dialect == "postgresql" else [False])
    async with ctx.db.read_session() as session:
        assert (await verify_log(session, ctx.keys)).ok
    read = await read_profile(projection_reader(ctx.db), ctx.keys, subject_id)
    assert answer == read
    statuses = {(p.channel, p.topic): p.status for p in answer.preferences}
    assert statuses[("email", "product_updates")] == "opted_out"
    if meanwhile:
        assert statuses[("push", "product_updates")] == "opted_out"


async def test_a_burst_of_writes_opens_no_more_than_its_share_of_connections(ctx):
    """Beyond ``AUTOCOMMIT_IDLE`` one-statement writes in flight, writes take the pool's bounded connections
    (in a transaction) rather than open more: every write lands, once."""
    people = [await _subject(ctx) for _ in range(3 * AUTOCOMMIT_IDLE)]
    await ctx.write(lambda uow: _grant(uow, people[0]))  # (the write catalog loaded: it needs the session)
    ways = []

    async def grant(uow: UnitOfWork, subject_id: str) -> str:
        ways.append(uow.one_statement)
        return await _grant(uow, subject_id)

    await asyncio.gather(*(ctx.write(lambda uow, s=s: grant(uow, s)) for s in people))
    if ctx.db.dialect == "postgresql":
        assert True in ways and False in ways
        kept = ctx.db._autocommit_idle[asyncio.get_running_loop()]
        assert kept.busy == 0 and len(kept.idle) <= AUTOCOMMIT_IDLE
    async with ctx.db.read_session() as session:
        granted = Event.type == "consent.granted", Event.subject_id.in_(people)
        grants = (await session.execute(select(func.count()).where(*granted))).scalar_one()
        current = Consent.is_current, Consent.subject_id.in_(people)
        currents = (await session.execute(select(func.count()).where(*current))).scalar_one()
        assert (await verify_log(session, ctx.keys)).ok
    assert grants == len(people) + 1 and currents == len(people)  # (the first person's warm-up grant)
