"""The append-only tables refuse a rewrite by replace or upsert too, not only UPDATE and DELETE (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

EVENT_COLUMNS = (
    "seq, occurred_at, subject_id, type, actor_type, actor_id, touchpoint, data, sealed, prev_hash, hash"
)
FORGED_EVENT = EVENT_COLUMNS.replace("type,", "'forged',", 1)
CHECKPOINT_COLUMNS = "seq, head_hash, signed_at, key_id, signature"
FORGED_CHECKPOINT = CHECKPOINT_COLUMNS.replace("head_hash,", "'forged',", 1)

UPSERTS = [
    f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {FORGED_EVENT} FROM events WHERE seq = :seq "
    "ON CONFLICT (seq) DO UPDATE SET type = excluded.type",
    f"INSERT INTO checkpoints ({CHECKPOINT_COLUMNS}) SELECT {FORGED_CHECKPOINT} FROM checkpoints "
    "WHERE seq = :seq ON CONFLICT (seq) DO UPDATE SET head_hash = excluded.head_hash",
]
SQLITE_REPLACES = [
    f"INSERT OR REPLACE INTO events ({EVENT_COLUMNS}) SELECT {FORGED_EVENT} FROM events WHERE seq = :seq",
    f"REPLACE INTO events ({EVENT_COLUMNS}) SELECT {FORGED_EVENT} FROM events WHERE seq = :seq",
    f"INSERT OR REPLACE INTO checkpoints ({CHECKPOINT_COLUMNS}) "
    f"SELECT {FORGED_CHECKPOINT} FROM checkpoints WHERE seq = :seq",
]


async def _first_rows(api) -> tuple[int, int, tuple, tuple]:
    await api.new_subject()  # at least one event
    h = await api.headers("audit:read")
    assert (await api.client.post("/v1/audit/checkpoints", headers=h)).status_code == 200
    async with api.ctx.db.read_session() as session:
        event = (await session.execute(text("SELECT seq, type, hash FROM events ORDER BY seq LIMIT 1"))).one()
        checkpoint = (
            await session.execute(text("SELECT seq, head_hash FROM checkpoints ORDER BY seq LIMIT 1"))
        ).one()
    return event.seq, checkpoint.seq, tuple(event), tuple(checkpoint)


async def test_replace_and_upsert_cannot_rewrite_the_log(api):
    event_seq, checkpoint_seq, event_before, checkpoint_before = await _first_rows(api)
    statements = UPSERTS + (SQLITE_REPLACES if api.engine == "sqlite" else [])
    async with api.ctx.db.write_engine.connect() as conn:
        for statement in statements:
            seq = event_seq if "INTO events" in statement else checkpoint_seq
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement), {"seq": seq})
            await conn.rollback()
    async with api.ctx.db.read_session() as session:
        event_after = (
            await session.execute(text("SELECT seq, type, hash FROM events WHERE seq = :s"), {"s": event_seq})
        ).one()
        checkpoint_after = (
            await session.execute(
                text("SELECT seq, head_hash FROM checkpoints WHERE seq = :s"), {"s": checkpoint_seq}
            )
        ).one()
    assert tuple(event_after) == event_before and tuple(checkpoint_after) == checkpoint_before


async def test_new_events_are_still_appended(api):
    """The replace guard refuses only a taken ``seq``: ordinary writes keep appending."""
    h = await api.headers("audit:read")
    await api.new_subject()
    r = await api.client.get("/v1/audit/verification", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True
