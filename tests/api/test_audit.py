"""The audit log: append-only by trigger on both engines, verification, tampering found and named."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import close_api, open_api


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    return request.param


async def test_verify_over_the_api_and_checkpoints(api):
    h = await api.headers("audit:read")
    r = await api.client.post("/v1/audit/checkpoints", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["checkpoints_checked"] >= 1 and body["events_checked"] >= 1
    assert (await api.client.get("/v1/audit/verification", headers=h)).json()["ok"] is True


async def test_events_cannot_be_updated_or_deleted(api):
    async with api.ctx.db.write_engine.connect() as conn:
        for statement in (
            "UPDATE events SET type = 'x' WHERE seq = 1",
            "DELETE FROM events WHERE seq = 1",
            "DELETE FROM checkpoints",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement))
            await conn.rollback()


async def _bypass_triggers_and_run(api, statement: str) -> None:
    async with api.ctx.db.write_engine.begin() as conn:
        if api.engine == "sqlite":
            await conn.execute(text("DROP TRIGGER events_no_update"))
            await conn.execute(text("DROP TRIGGER events_no_delete"))
            await conn.execute(text(statement))
        else:
            await conn.execute(text("ALTER TABLE events DISABLE TRIGGER USER"))
            await conn.execute(text(statement))
            await conn.execute(text("ALTER TABLE events ENABLE TRIGGER USER"))


@pytest.mark.parametrize(
    "tamper, expected_problem",
    [
        (
            "UPDATE events SET data = replace(data, 'opted_out', 'opted_in') WHERE seq = {seq}",
            "hash mismatch",
        ),
        ("DELETE FROM events WHERE seq = {seq}", "sequence gap"),
    ],
)
async def test_tampering_is_caught_and_the_first_bad_event_named(
    new_backend, engine, tamper, expected_problem
):
    api = await open_api(new_backend(engine))
    try:
        h = await api.headers("preferences:write", "preferences:read", "audit:read")
        subject = await api.new_subject()
        for status in ("opted_out", "opted_in", "opted_out"):
            r = await api.client.patch(
                f"/v1/subjects/{subject['id']}/preferences",
                json={
                    "touchpoint": "web",
                    "items": [{"channel": "email", "topic": "product_updates", "status": status}],
                },
                headers=h,
            )
            assert r.status_code == 200
        events = (await api.client.get(f"/v1/subjects/{subject['id']}/events", headers=h)).json()["items"]
        target = events[1]["seq"]  # the first opt-out
        assert (await api.client.get("/v1/audit/verification", headers=h)).json()["ok"]

        await _bypass_triggers_and_run(api, tamper.format(seq=target))

        result = (await api.client.get("/v1/audit/verification", headers=h)).json()
        assert result["ok"] is False
        assert result["first_bad_seq"] == (target if "UPDATE" in tamper else target + 1)
        assert expected_problem in result["problem"]
    finally:
        await close_api(api)


async def test_truncating_the_newest_events_is_caught_by_a_checkpoint(new_backend, engine):
    api = await open_api(new_backend(engine))
    try:
        h = await api.headers("audit:read")
        assert (await api.client.post("/v1/audit/checkpoints", headers=h)).json()["ok"]
        head = (await api.client.get("/v1/audit/verification", headers=h)).json()["head_seq"]
        await _bypass_triggers_and_run(api, f"DELETE FROM events WHERE seq >= {head - 1}")
        result = (await api.client.get("/v1/audit/verification", headers=h)).json()
        assert result["ok"] is False and "truncated" in result["problem"]
    finally:
        await close_api(api)
