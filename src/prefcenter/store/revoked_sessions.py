"""Signed-out console sessions: a session's id is kept in ``revoked_sessions`` until its token expires anyway,
so a copy of the cookie is refused at once by every server process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models_auth import RevokedSession


async def revoke_session(session: AsyncSession, session_id: str, expires_at: datetime, now: datetime) -> None:
    """Refuse ``session_id`` from now on; revocations whose tokens have expired anyway are forgotten on the way."""
    await session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= now))
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(RevokedSession)
        .values(session_id=session_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["session_id"])  # signed out twice at once
    )


async def is_revoked(session: AsyncSession, session_id: str) -> bool:
    return await session.get(RevokedSession, session_id) is not None
