"""Idempotency keys in the database: a request claims its key and stores its answer in its own transaction.

The claim (a row for caller and key) is written in the request's transaction (``Database.request_transaction``)
before the handler runs, and the answer is added to the same row just before that transaction commits. So a
key's row is committed only together with the write it answers: a crash or a database outage at any point
either leaves nothing (the retry runs cleanly) or leaves the write and its answer (the retry gets the answer).
A second request with the same key meanwhile waits for the first one's transaction (SQLite's single writer
queues it; on PostgreSQL the insert waits on the uncommitted row) and then finds the answer, or the key free.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models import IdempotencyRecord

# A row with this status is a claim committed apart from its answer by versions before 2026-12. Its request
# may or may not have written anything; nothing can tell, so a retry runs again instead of waiting for ever.
IN_PROGRESS = 0
_PG_LOCK_NOT_AVAILABLE = "55P03"


class KeyBusy(Exception):
    """Another request with this key is still running after the wait."""


class IdempotencyKeys:
    """The ``idempotency_keys`` table as one request's transaction sees it (``session`` is that transaction)."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    async def claim(
        self, owner: str, key: str, request_hash: str, now: datetime, wait_seconds: float
    ) -> IdempotencyRecord | None:
        """Claim ``key`` for this request inside its transaction: ``None`` when this request is to run, else
        the key's committed record (an answer to replay, or a different request that used the key: the
        caller compares ``request_hash``). Raises ``KeyBusy`` when a request with the key holds it past
        ``wait_seconds`` (PostgreSQL; on SQLite the wait is the busy timeout of the write lock this
        transaction already holds)."""
        session = self.session
        table = IdempotencyRecord.__table__
        values = {
            "owner": owner,
            "key": key,
            "request_hash": request_hash,
            "status_code": IN_PROGRESS,
            "body": b"",
            "headers": {},
            "created_at": now,
        }
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.key)
        if self.dialect == "postgresql":
            await session.execute(text(f"SET LOCAL lock_timeout = '{int(wait_seconds * 1000)}ms'"))
            try:
                inserted = (await session.execute(statement)).first()
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
                    raise KeyBusy(key) from exc
                raise
            await session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
        else:
            inserted = (await session.execute(statement)).first()
        if inserted is not None:
            return None
        record = await session.get(IdempotencyRecord, (owner, key), populate_existing=True)
        if record is None:  # the holder rolled back between our insert and this read: take the key
            return await self.claim(owner, key, request_hash, now, wait_seconds)
        if record.status_code == IN_PROGRESS:  # an old version's claim that was never answered: run again
            record.request_hash, record.created_at = request_hash, now
            await session.flush()
            return None
        return record

    async def record_answer(
        self, owner: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        """Store the answer on the key ``claim`` took, in the same transaction as the request's writes."""
        await self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
            .values(status_code=status, headers=headers, body=body)
        )
