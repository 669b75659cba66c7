"""Writes at the same time (each unit of work on its own connection on PostgreSQL) still make one unbroken
hash chain: every event linked to the one committed before it, the checkpoints on it, every change with its
events, and every save's answer the state its commit made."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from prefcenter.audit.service import verify_log
from prefcenter.consents import service as consents
from prefcenter.consents.profile import written_profile
from prefcenter.consents.schemas import ConsentGrant, ConsentWithdraw
from prefcenter.context import AppContext
from prefcenter.errors import Conflict
from prefcenter.imports import service as imports
from prefcenter.store.models import Consent, Event, Preference
from prefcenter.store.unit_of_work import CHECKPOINT_EVERY, Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate, SubjectCreate

ACTOR = Actor("client", "concurrency-test")
ROUNDS = 8  # 256 events: at least one checkpoint on the way
PEOPLE = 8


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


GRANT = ConsentGrant(
    topic="offers", channels=["email"], notice_version=1, method="checkbox", touchpoint="web"
)


async def _grant(ctx: AppContext, subject_id: str) -> str:
    """A grant as the API makes it (the current record's id read with the subject's lock); its record's id."""
    async with ctx.unit_of_work() as uow:
        subject = await uow.lock_subject(subject_id, current_topic=GRANT.topic)
        uow.bump_revision(subject)
        return (await consents.grant(uow, ACTOR, subject_id, GRANT, None)).id


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


async def _withdraw(ctx: AppContext, subject_id: str, consent_id: str) -> None:
    """A withdrawal as the API makes it (the record read with the subject's lock)."""
    async with ctx.unit_of_work() as uow:
        subject = await uow.lock_subject(subject_id, consent_id=consent_id)
        uow.bump_revision(subject)
        await consents.withdraw(uow, ACTOR, subject_id, consent_id, ConsentWithdraw(touchpoint="web"))


async def _while_a_grant_holds_the_lock(ctx: AppContext, subject_id: str, waiter) -> tuple[str, object]:
    """Run ``waiter`` while another unit of work has granted ``offers`` again and holds the subject's lock
    (on PostgreSQL the waiter's statement is under way, its snapshot taken, when that one commits); the new
    record's id and what ``waiter`` gave (or raised)."""
    async with ctx.unit_of_work() as uow:
        subject = await uow.lock_subject(subject_id, current_topic=GRANT.topic)
        uow.bump_revision(subject)
        newer = (await consents.grant(uow, ACTOR, subject_id, GRANT, None)).id
        waiting = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.3)
        assert not waiting.done()
    outcome = await asyncio.gather(waiting, return_exceptions=True)
    return newer, outcome[0]


async def test_a_withdrawal_waiting_for_a_grant_sees_the_record_it_superseded(ctx):
    """The withdrawal reads the record with the subject's lock, in one statement whose snapshot predates the
    wait: the record as the grant left it (superseded) must win, not the snapshot's (current)."""
    async with ctx.unit_of_work() as uow:
        subject_id = (await subjects.create_subject(uow, ACTOR, SubjectCreate())).id
    older = await _grant(ctx, subject_id)
    newer, outcome = await _while_a_grant_holds_the_lock(
        ctx, subject_id, lambda: _withdraw(ctx, subject_id, older)
    )
    assert isinstance(outcome, Conflict) and outcome.extra["reason"] == "superseded"
    async with ctx.db.read_session() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Consent.id, Consent.status).where(Consent.subject_id == subject_id)
                )
            ).all()
        )
        withdrawals = (
            await session.execute(
                select(func.count()).where(Event.type == "consent.withdrawn", Event.subject_id == subject_id)
            )
        ).scalar_one()
    assert statuses == {older: "granted", newer: "granted"} and withdrawals == 0


async def test_a_grant_waiting_for_a_grant_supersedes_the_record_that_one_made(ctx):
    async with ctx.unit_of_work() as uow:
        subject_id = (await subjects.create_subject(uow, ACTOR, SubjectCreate())).id
    older = await _grant(ctx, subject_id)
    newer, newest = await _while_a_grant_holds_the_lock(ctx, subject_id, lambda: _grant(ctx, subject_id))
    async with ctx.db.read_session() as session:
        mine = Consent.subject_id == subject_id
        current = (await session.execute(select(Consent.id).where(mine, Consent.is_current))).scalars().all()
        superseded = dict(
            (await session.execute(select(Consent.id, Consent.superseded_by).where(mine))).all()
        )
        granted = select(Event.data).where(Event.type == "consent.granted", Event.subject_id == subject_id)
        events = (await session.execute(granted.order_by(Event.seq))).scalars()
        supersedes = [json.loads(data)["supersedes"] for data in events]
    assert current == [newest]
    assert superseded == {older: newer, newer: newest, newest: None}
    assert supersedes == [None, older, newer]
    async with ctx.db.read_session() as session:
        assert (await verify_log(session, ctx.keys)).ok


async def test_a_save_waiting_for_a_save_reads_the_preferences_that_one_wrote(ctx):
    """The save reads the preferences with the subject's lock (one statement on PostgreSQL): the same change
    made by the save it waited for is then no change, and no event."""
    async with ctx.unit_of_work() as uow:
        subject_id = (await subjects.create_subject(uow, ACTOR, SubjectCreate())).id
    await _save(ctx, subject_id, "opted_in")
    async with ctx.unit_of_work() as uow:
        await subjects.update_preferences(uow, ACTOR, subject_id, _opt_out_email(), None)
        waiting = asyncio.ensure_future(_save_opt_out_email(ctx, subject_id))
        await asyncio.sleep(0.3)
        assert not waiting.done()
    await waiting
    async with ctx.db.read_session() as session:
        changes = (
            await session.execute(
                select(Event.data)
                .where(Event.type == "preference.set", Event.subject_id == subject_id)
                .order_by(Event.seq)
            )
        ).scalars()
        email = [json.loads(d) for d in changes if json.loads(d)["channel"] == "email"]
    assert [(e["previous"], e["status"]) for e in email] == [(None, "opted_in"), ("opted_in", "opted_out")]


def _opt_out_email() -> PreferencesUpdate:
    return PreferencesUpdate(
        touchpoint="api", items=[PreferenceItem(channel="email", topic="product_updates", status="opted_out")]
    )


async def _save_opt_out_email(ctx: AppContext, subject_id: str) -> None:
    async with ctx.unit_of_work() as uow:
        await subjects.update_preferences(uow, ACTOR, subject_id, _opt_out_email(), None)


async def test_the_expiry_sweep_and_a_write_on_one_of_its_subjects_do_not_deadlock(ctx):
    """The sweep locks its subjects before it changes their records and takes the chain last, the order every
    write takes them in. (It changed a record, its subject and the chain, then the next subject's: a write
    holding that next subject and waiting for the chain deadlocked with it.)"""
    async with ctx.unit_of_work() as uow:
        first, second = [(await subjects.create_subject(uow, ACTOR, SubjectCreate())).id for _ in range(2)]
    for subject_id in (first, second):
        await _grant(ctx, subject_id)
    async with ctx.db.write_session() as session:
        for days, subject_id in ((2, first), (1, second)):  # the first subject's record lapsed first
            await session.execute(
                update(Consent)
                .where(Consent.subject_id == subject_id, Consent.is_current)
                .values(expires_at=datetime.now(UTC) - timedelta(days=days))
            )
        await session.commit()
    async with ctx.unit_of_work() as uow:
        await uow.lock_subject(second)
        sweep = asyncio.ensure_future(consents.expire_due(ctx))
        await asyncio.sleep(0.3)
        assert not sweep.done()
        await uow.append_event("test.touched", actor=ACTOR, subject_id=second)
    assert await asyncio.wait_for(sweep, 10) >= 2
    async with ctx.db.read_session() as session:
        statuses = (
            await session.execute(select(Consent.status).where(Consent.subject_id.in_([first, second])))
        ).scalars()
        assert sorted(statuses) == ["expired", "expired"]
        assert (await verify_log(session, ctx.keys)).ok


async def test_an_import_waiting_for_a_grant_supersedes_the_record_that_one_made(ctx):
    """An import chunk locks the subjects it matched before it reads their state: it read them without a
    lock, so a grant committed meanwhile left two current records for the topic (the import superseded the
    one it had read, already superseded by the grant)."""
    async with ctx.unit_of_work() as uow:
        subject_id = (await subjects.create_subject(uow, ACTOR, SubjectCreate(external_id="crm-7"))).id
    await _grant(ctx, subject_id)
    row = {
        "external_id": "crm-7",
        "consents": [{"topic": GRANT.topic, "channels": ["email"], "granted_at": "2026-01-02T03:04:05Z"}],
    }
    source = io.BytesIO(json.dumps(row).encode() + b"\n")
    newer, report = await _while_a_grant_holds_the_lock(
        ctx, subject_id, lambda: imports.import_file(ctx, source, "ndjson", "crm.ndjson")
    )
    assert report.imported == 1, report
    async with ctx.db.read_session() as session:
        current = (
            await session.execute(
                select(Consent.id, Consent.method).where(Consent.subject_id == subject_id, Consent.is_current)
            )
        ).all()
        superseded_by = (
            await session.execute(select(Consent.superseded_by).where(Consent.id == newer))
        ).scalar()
    assert len(current) == 1 and current[0].method != GRANT.method
    assert superseded_by == current[0].id
