"""The outbox: what each downstream system is sent, written transactionally with the change itself.

- Changes: the ``events`` table *is* the transactional outbox. Every change appends its event in the
  change's own transaction; ``fan_out`` tails the log by ``seq`` (one cursor per system) and writes a
  delivery per matching event. Appends are serialised by the chain lock, so seqs commit in order and
  a cursor never skips an event. This adds nothing to the write path of consents and preferences.
- DSR tasks: an erasure writes one delivery per active system in the erasure transaction itself
  (``add_erasure_tasks``), carrying what the system needs to find the person (subject id, external id).
  Once the request is closed, ``scrub_subject_payloads`` removes those identifiers from the outbox.
"""

from __future__ import annotations

import fnmatch
import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models import Event
from prefcenter.store.models_dsr import DownstreamSystem, DsrRequest, DsrSystemTask, WebhookDelivery
from prefcenter.store.unit_of_work import UnitOfWork, format_instant, utcnow

FAN_OUT_BATCH = 500
REDACTED = '{"redacted":true}'


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def matches(patterns: list[str], event_type: str) -> bool:
    return any(p == "*" or fnmatch.fnmatchcase(event_type, p) for p in patterns)


def _delivery(system_id: str, event_type: str, body: dict, now, **extra) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_message_id(),
        system_id=system_id,
        event_type=event_type,
        payload=msgspec.json.encode(body).decode(),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        **extra,
    )


async def fan_out(ctx, batch: int = FAN_OUT_BATCH) -> int:
    """Turn new events into deliveries for every active system whose patterns match; returns how many."""
    made = 0
    async with ctx.db.write_session() as session:
        systems = (
            (
                await session.execute(
                    select(DownstreamSystem)
                    .where(DownstreamSystem.active.is_(True))
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not systems:
            return 0
        low = min(s.cursor_seq for s in systems)
        events = (
            await session.execute(
                select(
                    Event.seq,
                    Event.type,
                    Event.subject_id,
                    Event.occurred_at,
                    Event.actor_type,
                    Event.touchpoint,
                    Event.data,
                )
                .where(Event.seq > low)
                .order_by(Event.seq)
                .limit(batch)
            )
        ).all()
        if not events:
            return 0
        now = utcnow()
        for system in systems:
            for e in events:
                if e.seq <= system.cursor_seq or not matches(system.event_types, e.type):
                    continue
                body = {
                    "type": e.type,
                    "timestamp": e.occurred_at,
                    "data": {
                        "seq": e.seq,
                        "subject_id": e.subject_id,
                        "actor_type": e.actor_type,
                        "touchpoint": e.touchpoint,
                        **msgspec.json.decode(e.data),
                    },
                }
                session.add(_delivery(system.id, e.type, body, now, event_seq=e.seq, subject_id=e.subject_id))
                made += 1
            system.cursor_seq = max(system.cursor_seq, events[-1].seq)
    return made or len(events)


async def add_erasure_tasks(
    uow: UnitOfWork, requests: list[DsrRequest], external_ids: dict[str, str | None], deadline: datetime
) -> dict[str, int]:
    """One task and one delivery per active system per erasure request; returns request id -> systems."""
    if not requests:
        return {}
    systems = (
        (await uow.session.execute(select(DownstreamSystem).where(DownstreamSystem.active.is_(True))))
        .scalars()
        .all()
    )
    if not systems:
        return {}
    out: dict[str, int] = {}
    for req in requests:
        for system in systems:
            task = DsrSystemTask(
                id=str(uuid.uuid4()),
                request_id=req.id,
                system_id=system.id,
                status="pending",
                created_at=uow.now,
            )
            uow.session.add(task)
            body = {
                "type": "dsr.erasure_requested",
                "timestamp": format_instant(uow.now),
                "data": {
                    "task_id": task.id,
                    "request_id": req.id,
                    "subject_id": req.subject_id,
                    "external_id": external_ids.get(req.subject_id),
                    "ack_path": f"/public/v1/dsr-tasks/{task.id}/ack",
                    "ack_deadline": format_instant(deadline),
                },
            }
            uow.session.add(
                _delivery(
                    system.id,
                    "dsr.erasure_requested",
                    body,
                    uow.now,
                    subject_id=req.subject_id,
                    task_id=task.id,
                )
            )
        out[req.id] = len(systems)
    return out


async def scrub_subject_payloads(session: AsyncSession, subject_id: str) -> None:
    """The request is closed: drop identifiers from its task deliveries; stop retrying undelivered ones."""
    now = utcnow()
    await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subject_id == subject_id,
            WebhookDelivery.task_id.is_not(None),
            WebhookDelivery.status == "pending",
        )
        .values(status="dead", last_error="the request closed before delivery", next_attempt_at=now)
    )
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subject_id == subject_id, WebhookDelivery.task_id.is_not(None))
        .values(payload=REDACTED)
    )
