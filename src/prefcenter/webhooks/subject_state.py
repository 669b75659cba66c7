"""Where one person's changes stand in each downstream system: the console's "downstream systems" panel.

Read from the outbox (``ix_webhook_deliveries_subject``): per system, how many of the person's messages are
delivered, pending or dead, and the latest one. Payloads are never read here (ids only anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models_dsr import DownstreamSystem, WebhookDelivery

RECENT = 500  # the person's latest messages looked at


@dataclass(frozen=True)
class SystemState:
    system_id: str
    system_name: str
    active: bool
    delivered: int
    pending: int
    dead: int
    latest_event_type: str
    latest_status: str
    latest_at: datetime
    latest_error: str | None


async def subject_deliveries(session: AsyncSession, subject_id: str) -> list[SystemState]:
    """Per downstream system that has messages about the person: counts by status and the latest message."""
    rows = await session.execute(
        select(
            DownstreamSystem.id,
            DownstreamSystem.name,
            DownstreamSystem.active,
            WebhookDelivery.status,
            WebhookDelivery.event_type,
            WebhookDelivery.created_at,
            WebhookDelivery.last_error,
        )
        .join(DownstreamSystem, DownstreamSystem.id == WebhookDelivery.system_id)
        .where(WebhookDelivery.subject_id == subject_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(RECENT)
    )
    counts: dict[str, dict[str, int]] = {}
    latest: dict[str, tuple] = {}
    for system_id, name, active, status, event_type, created_at, last_error in rows:
        counts.setdefault(system_id, {}).setdefault(status, 0)
        counts[system_id][status] += 1
        latest.setdefault(system_id, (name, active, status, event_type, created_at, last_error))
    return [
        SystemState(
            system_id=system_id,
            system_name=name,
            active=active,
            delivered=counts[system_id].get("delivered", 0),
            pending=counts[system_id].get("pending", 0),
            dead=counts[system_id].get("dead", 0),
            latest_event_type=event_type,
            latest_status=status,
            latest_at=created_at,
            latest_error=last_error,
        )
        for system_id, (name, active, status, event_type, created_at, last_error) in sorted(
            latest.items(), key=lambda item: item[1][0]
        )
    ]
