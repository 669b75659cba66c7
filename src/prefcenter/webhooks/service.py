"""The registry of downstream systems and the acknowledgement of DSR tasks."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto
from prefcenter.errors import Conflict, InvalidInput, NotFound, Unauthorized
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Event
from prefcenter.store.models_dsr import (
    DownstreamSystem,
    DsrRequest,
    DsrSystemTask,
    DsrTaskAck,
    WebhookDelivery,
)
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.webhooks import signing
from prefcenter.webhooks.schemas import DeliveryRead, SystemCreate, SystemRead, TaskAck, TaskAckRead

MAX_WEBHOOK_ID = 200  # the column's size (``DsrTaskAck.webhook_id``)


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


async def acknowledge_task(
    uow: UnitOfWork, task_id: str, headers: dict[str, str], body_bytes: bytes, body: TaskAck
) -> TaskAckRead:
    """A system's signed callback: verify its Standard Webhooks signature and that the signed body names
    this task, record the outcome, and complete the request when every system has answered.

    Each ``webhook-id`` is remembered per system: a resend with the same id, task and body gets the first
    answer again (the system may have lost it); any other reuse of the id is refused (409)."""
    from prefcenter.dsr.downstream import complete_if_resolved
    from prefcenter.dsr.lifecycle import record

    try:
        uuid.UUID(task_id)
    except ValueError:
        raise NotFound(f"no task {task_id}") from None
    task = await uow.session.get(DsrSystemTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    # Locking the system serialises its acknowledgements, so two deliveries of one webhook-id never race.
    system = (
        await uow.session.execute(
            select(DownstreamSystem).where(DownstreamSystem.id == task.system_id).with_for_update()
        )
    ).scalar_one()
    try:
        signing.verify(system_secret(uow.keys, system), headers, body_bytes)
    except signing.SignatureError as exc:
        raise Unauthorized(f"the acknowledgement is not signed with this system's secret: {exc}") from exc
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID:
        raise InvalidInput(f"webhook-id is longer than {MAX_WEBHOOK_ID} characters")
    if body.task_id != task.id:
        raise InvalidInput(
            f"the acknowledgement names task {body.task_id}, not {task.id}: "
            "its signed body must carry the task_id of the task it answers",
            reason="task_mismatch",
        )
    body_sha256 = hashlib.sha256(body_bytes).hexdigest()
    seen = await uow.session.get(DsrTaskAck, (system.id, webhook_id))
    if seen is not None:
        if seen.task_id == task.id and hmac.compare_digest(seen.body_sha256, body_sha256):
            return msgspec.json.decode(seen.answer, type=TaskAckRead)  # a resend: the first answer again
        raise Conflict(
            "this webhook-id was used already for another acknowledgement; give each one an id of its own",
            reason="webhook_id_reused",
        )
    req = (
        await uow.session.execute(
            select(DsrRequest).where(DsrRequest.id == task.request_id).with_for_update()
        )
    ).scalar_one()
    status = {"erased": "acknowledged", "not_found": "not_found", "failed": "failed"}[body.status]
    if task.status != "pending":
        if task.status != status:
            raise Conflict(f"this task was resolved already as {task.status}", reason="task_resolved")
        # the same outcome again under a new webhook-id: nothing changes
    else:
        task.status, task.detail, task.resolved_at = status, body.detail, uow.now
        actor = Actor("system", f"downstream:{system.id}")
        record(
            uow,
            req,
            "system_ack",
            actor,
            f"{system.name}: {status}" + (f" ({body.detail})" if body.detail else ""),
        )
        await uow.append_event(
            "dsr.system_acknowledged",
            actor=actor,
            subject_id=req.subject_id,
            data={"request_id": req.id, "task_id": task.id, "system_id": system.id, "status": status},
        )
        await uow.session.flush()
        await complete_if_resolved(uow, req)
    answer = TaskAckRead(task_id=task.id, request_id=req.id, status=task.status, request_status=req.status)
    uow.session.add(
        DsrTaskAck(
            system_id=system.id,
            webhook_id=webhook_id,
            task_id=task.id,
            body_sha256=body_sha256,
            answer=msgspec.json.encode(answer).decode(),
            received_at=uow.now,
        )
    )
    return answer
