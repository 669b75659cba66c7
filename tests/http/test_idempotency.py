"""Idempotency keys: the answer commits with the write it answers, so no crash or outage leaves a key stuck
"in progress"; a retry gets the original answer or runs cleanly (both engines). Real kill -9 runs are in
``test_idempotency_crash.py``."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text

from prefcenter.http import idempotency
from prefcenter.store.idempotency import IdempotencyKeys
from prefcenter.store.models import Event, Subject
from prefcenter.subjects import service as subjects

PREFERENCE = {
    "touchpoint": "web",
    "items": [{"channel": "email", "topic": "product_updates", "status": "opted_out"}],
}


async def _count(api, statement) -> int:
    async with api.ctx.db.read_session() as session:
        return (await session.execute(statement)).scalar_one()


async def test_a_claim_left_by_a_killed_request_does_not_poison_its_key(api):
    """What an older version left when killed between its claim and its answer: the key runs again."""
    write = await api.headers("preferences:write")
    subject = await api.new_subject()
    key = f"killed-{uuid.uuid4().hex}"
    url = f"/v1/subjects/{subject['id']}/preferences"
    first = await api.client.patch(url, json=PREFERENCE, headers={**write, "Idempotency-Key": key})
    assert first.status_code == 200
    async with api.ctx.db.write_session() as session:
        await session.execute(
            text(
                "UPDATE idempotency_keys SET status_code = 0, body = :empty, headers = '{}' WHERE key = :key"
            ),
            {"empty": b"", "key": key},
        )
    retry = await api.client.patch(url, json=PREFERENCE, headers={**write, "Idempotency-Key": key})
    assert retry.status_code == 200, retry.text
    assert retry.json()["preferences"] == first.json()["preferences"]
    again = await api.client.patch(url, json=PREFERENCE, headers={**write, "Idempotency-Key": key})
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"


async def test_the_answer_commits_with_the_write_or_neither_does(api, monkeypatch):
    """Storing the answer fails (as a kill or an outage right after the handler would): the write is rolled
    back with it, and the retry runs once, cleanly."""
    write = await api.headers("preferences:write")
    key = f"atomic-{uuid.uuid4().hex}"
    body = {"external_id": f"atomic-{key[-10:]}"}
    events_before = await _count(api, select(func.count()).select_from(Event))
    real_record_answer = IdempotencyKeys.record_answer

    async def fail_once(*args, **kwargs):
        monkeypatch.setattr(IdempotencyKeys, "record_answer", real_record_answer)
        raise RuntimeError("the answer could not be stored")

    monkeypatch.setattr(IdempotencyKeys, "record_answer", fail_once)
    failed = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert failed.status_code == 500
    taken = select(func.count()).select_from(Subject).where(Subject.external_id == body["external_id"])
    assert await _count(api, taken) == 0
    assert await _count(api, select(func.count()).select_from(Event)) == events_before

    retry = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert retry.status_code == 201, retry.text
    replay = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert replay.status_code == 201 and replay.json() == retry.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    assert await _count(api, taken) == 1


async def test_a_server_error_rolls_the_keyed_request_back_and_the_retry_runs(api, monkeypatch):
    write = await api.headers("preferences:write")
    key = f"fails-{uuid.uuid4().hex}"
    body = {"external_id": f"fails-{key[-10:]}"}
    real_read_subject = subjects.read_subject

    async def written_then_broken(*args, **kwargs):  # the subject is written, then the handler fails
        monkeypatch.setattr(subjects, "read_subject", real_read_subject)
        raise RuntimeError("broken after the write")

    monkeypatch.setattr(subjects, "read_subject", written_then_broken)
    failed = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert failed.status_code == 500
    retry = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert retry.status_code == 201, retry.text
    taken = select(func.count()).select_from(Subject).where(Subject.external_id == body["external_id"])
    assert await _count(api, taken) == 1


async def test_a_retry_while_the_first_still_runs_gets_the_first_answer(api, monkeypatch):
    write = await api.headers("preferences:write")
    key = f"twice-{uuid.uuid4().hex}"
    body = {"external_id": f"twice-{key[-10:]}"}
    real_create = subjects.create_subject

    async def slow_create(*args, **kwargs):
        await asyncio.sleep(0.3)
        return await real_create(*args, **kwargs)

    monkeypatch.setattr(subjects, "create_subject", slow_create)

    async def post():
        return await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})

    first = asyncio.create_task(post())
    await asyncio.sleep(0.1)
    second = await post()
    first = await first
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"


async def test_a_retry_that_waits_too_long_gets_a_retryable_409(api, monkeypatch):
    if api.engine != "postgres":
        pytest.skip("SQLite queues writers on its one write lock (busy timeout, then 503)")
    write = await api.headers("preferences:write")
    key = f"busy-{uuid.uuid4().hex}"
    body = {"external_id": f"busy-{key[-10:]}"}
    real_create = subjects.create_subject

    async def slow_create(*args, **kwargs):
        await asyncio.sleep(1.0)
        return await real_create(*args, **kwargs)

    monkeypatch.setattr(subjects, "create_subject", slow_create)
    monkeypatch.setattr(idempotency, "WAIT_FOR_SAME_KEY_SECONDS", 0.2)

    async def post():
        return await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})

    first = asyncio.create_task(post())
    await asyncio.sleep(0.2)
    second = await post()
    assert second.status_code == 409, second.text
    assert second.json()["type"].endswith("/idempotency-in-progress")
    assert int(second.headers["retry-after"]) >= 1
    assert (await first).status_code == 201
    third = await post()
    assert third.status_code == 201 and third.json() == (await first).json()
