"""The rows the insights read straight from their own tables (feedback, DSRs, consents
awaiting confirmation): only the columns an aggregate needs, no identity, no sealed text. Portable Core."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models import Consent
from prefcenter.store.models_dsr import DownstreamSystem, DsrRequest, DsrSystemTask
from prefcenter.store.models_feedback import Feedback


def utc_day(session: AsyncSession, column):
    """The UTC day of a timestamp column as ``YYYY-MM-DD`` text: SQLite stores naive UTC text, PostgreSQL
    a ``timestamptz`` (the one dialect branch here)."""
    if session.bind.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


async def feedback_counts(
    session: AsyncSession, start: datetime, end: datetime, group: str | None
) -> Sequence[Row]:
    """(day, metric, score, group, answers) of the answers received in [start, end), counted in SQL."""
    f = Feedback
    day = utc_day(session, f.received_at).label("day")
    key = (getattr(f, group) if group else literal("")).label("grp")
    return (
        await session.execute(
            select(day, f.metric, f.score, key, func.count())
            .where(f.received_at >= start, f.received_at < end)
            .group_by(day, f.metric, f.score, key)
        )
    ).all()


async def dsr_rows(session: AsyncSession, start: datetime, end: datetime) -> Sequence[Row]:
    """(type, source, status, received_at, due_at, completed_at, extended_months) of requests received in
    [start, end)."""
    d = DsrRequest
    return (
        await session.execute(
            select(
                d.type, d.source, d.status, d.received_at, d.due_at, d.completed_at, d.extended_months
            ).where(d.received_at >= start, d.received_at < end)
        )
    ).all()


async def dsr_task_rows(session: AsyncSession, start: datetime, end: datetime) -> Sequence[Row]:
    """(system, status, created_at, resolved_at) of the downstream tasks of requests received in [start, end)."""
    return (
        await session.execute(
            select(
                DownstreamSystem.name,
                DsrSystemTask.status,
                DsrSystemTask.created_at,
                DsrSystemTask.resolved_at,
            )
            .join(DsrRequest, DsrRequest.id == DsrSystemTask.request_id)
            .join(DownstreamSystem, DownstreamSystem.id == DsrSystemTask.system_id)
            .where(DsrRequest.received_at >= start, DsrRequest.received_at < end)
        )
    ).all()


async def confirmation_rows(session: AsyncSession, start: datetime, end: datetime) -> Sequence[Row]:
    """(confirmed_at, granted_at, topic, touchpoint) of double opt-ins confirmed in [start, end)."""
    c = Consent
    return (
        await session.execute(
            select(c.confirmed_at, c.granted_at, c.topic, c.touchpoint).where(
                c.confirmed_at >= start, c.confirmed_at < end
            )
        )
    ).all()
