"""Queries only the admin pages need (counts and short lists); every change goes through the areas' services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.dsr.actions import OPEN
from prefcenter.store.models import Checkpoint
from prefcenter.store.models_dsr import DownstreamSystem, DsrRequest, WebhookDelivery

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class DsrOverview:
    open_by_status: dict[str, int]
    overdue: int
    due_soon: list[DsrRequest]
    failed: int  # closed by a failure: they wait for an officer's retry or cancel
    recent_failures: list[DsrRequest]


async def dsr_overview(session: AsyncSession, now: datetime, limit: int = 20) -> DsrOverview:
    counts = await session.execute(
        select(DsrRequest.status, func.count()).where(DsrRequest.status.in_(OPEN)).group_by(DsrRequest.status)
    )
    by_status = {status: 0 for status in OPEN}
    by_status.update({status: n for status, n in counts.all()})
    overdue = (
        await session.execute(
            select(func.count()).where(DsrRequest.status.in_(OPEN), DsrRequest.due_at < now)
        )
    ).scalar_one()
    due_soon = (
        (
            await session.execute(
                select(DsrRequest)
                .where(
                    DsrRequest.status.in_(OPEN),
                    DsrRequest.due_at < now + timedelta(days=DUE_SOON_DAYS),
                )
                .order_by(DsrRequest.due_at, DsrRequest.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    failed = (await session.execute(select(func.count()).where(DsrRequest.status == "failed"))).scalar_one()
    recent_failures = (
        (
            await session.execute(
                select(DsrRequest)
                .where(DsrRequest.status == "failed")
                .order_by(DsrRequest.updated_at.desc(), DsrRequest.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    return DsrOverview(by_status, overdue, list(due_soon), failed, list(recent_failures))


async def dead_letter_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).where(WebhookDelivery.status == "dead"))).scalar_one()


async def failing_deliveries(session: AsyncSession, limit: int = 50) -> list[tuple[WebhookDelivery, str]]:
    """Dead-lettered deliveries and ones waiting for a retry after a failure, newest first, with system names."""
    rows = await session.execute(
        select(WebhookDelivery, DownstreamSystem.name)
        .join(DownstreamSystem, DownstreamSystem.id == WebhookDelivery.system_id)
        .where(
            or_(
                WebhookDelivery.status == "dead",
                (WebhookDelivery.status == "pending") & (WebhookDelivery.attempts > 0),
            )
        )
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    )
    return [(d, name) for d, name in rows.all()]


async def recent_checkpoints(session: AsyncSession, limit: int = 10) -> list[Checkpoint]:
    rows = await session.execute(select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(limit))
    return list(rows.scalars())
