"""The registry of downstream systems and their signing secrets."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto
from prefcenter.errors import NotFound
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Event
from prefcenter.store.models_dsr import (
    DownstreamSystem,
    WebhookDelivery,
)
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.webhooks import signing
from prefcenter.webhooks.schemas import DeliveryRead, SystemCreate, SystemRead


def _aad(system_id: str) -> bytes:
    return f"webhook-secret:{system_id}".encode()


def system_secret(keys: KeyMaterial, system: DownstreamSystem) -> str:
    return crypto.unseal(keys.master_key, system.secret_sealed, aad=_aad(system.id)).decode()


def system_read(system: DownstreamSystem, secret: str | None = None) -> SystemRead:
    return SystemRead(
        id=system.id,
        name=system.name,
        url=system.url,
        event_types=list(system.event_types),
        active=bool(system.active),
        created_at=system.created_at,
        secret=secret,
    )


async def register_system(uow: UnitOfWork, actor: Actor, body: SystemCreate) -> SystemRead:
    system_id = str(uuid.uuid4())
    secret = signing.new_secret()
    head = (await uow.session.execute(select(Event.seq).order_by(Event.seq.desc()).limit(1))).scalar()
    system = DownstreamSystem(
        id=system_id,
        name=body.name,
        url=body.url,
        secret_sealed=crypto.seal(uow.keys.master_key, secret.encode(), aad=_aad(system_id)),
        event_types=list(body.event_types),
        cursor_seq=head or 0,  # changes from now on; history is not replayed
        active=True,
        created_at=uow.now,
    )
    uow.session.add(system)
    await uow.append_event(
        "webhook.system_registered", actor=actor, data={"system_id": system_id, "name": body.name}
    )
    return system_read(system, secret)


async def list_systems(session: AsyncSession) -> list[SystemRead]:
    rows = await session.execute(select(DownstreamSystem).order_by(DownstreamSystem.created_at))
    return [system_read(s) for s in rows.scalars()]


async def disable_system(uow: UnitOfWork, actor: Actor, system_id: str) -> SystemRead:
    system = await uow.session.get(DownstreamSystem, system_id)
    if system is None:
        raise NotFound(f"no downstream system {system_id}")
    if system.active:
        system.active, system.disabled_at = False, uow.now
        await uow.append_event("webhook.system_disabled", actor=actor, data={"system_id": system_id})
    return system_read(system)


async def list_deliveries(
    session: AsyncSession, system_id: str, status: str | None, limit: int
) -> list[DeliveryRead]:
    if await session.get(DownstreamSystem, system_id) is None:
        raise NotFound(f"no downstream system {system_id}")
    statement = select(WebhookDelivery).where(WebhookDelivery.system_id == system_id)
    if status:
        statement = statement.where(WebhookDelivery.status == status)
    rows = await session.execute(statement.order_by(WebhookDelivery.created_at.desc()).limit(limit))
    return [
        DeliveryRead(
            id=d.id,
            system_id=d.system_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )
        for d in rows.scalars()
    ]
