"""What crypto-shredding needs from the storage engine beyond deleting rows: SQLite zeroes what it deletes
and truncates its WAL, so no older page image holding a deleted data key survives in either file; and the
stored idempotent answers that name a subject are found in their raw bodies."""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy import LargeBinary, func, literal, or_, text
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.database import Database
from prefcenter.store.models import IdempotencyRecord

log = structlog.get_logger("prefcenter.erasure")


async def zero_deleted_pages(session: AsyncSession) -> None:
    """SQLite: this transaction's deletes overwrite the freed content (``secure_delete``)."""
    if session.bind.dialect.name == "sqlite":
        await session.execute(text("PRAGMA secure_delete=ON"))


def answers_naming_any(session: AsyncSession, subject_ids: list[str]):
    """A condition on stored idempotent answers (bytes) that mention one of the subjects (their bodies may
    hold the external id and masked identities)."""
    body = IdempotencyRecord.body
    if session.bind.dialect.name == "postgresql":
        return or_(
            *[body.op("LIKE")(literal(b"%" + sid.encode() + b"%", LargeBinary)) for sid in subject_ids]
        )
    return or_(*[func.instr(body, literal(sid.encode(), LargeBinary)) > 0 for sid in subject_ids])


async def truncate_sqlite_wal(db: Database) -> None:
    """SQLite: ``wal_checkpoint(TRUNCATE)`` copies the zeroed pages into the database file and empties the
    WAL (a few tries while readers still hold old frames). Nothing to do on PostgreSQL."""
    if not db.is_sqlite:
        return
    async with db.write_engine.connect() as conn:
        raw = await conn.get_raw_connection()
        for attempt in range(3):  # each try already waits busy_timeout for readers still on old frames
            cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log_frames, _done = await cursor.fetchone()
            await cursor.close()
            if not busy:
                return
            await asyncio.sleep(0.05 * (attempt + 1))
        log.warning(
            "erasure: the WAL could not be truncated yet; old page images remain until the next checkpoint"
        )
