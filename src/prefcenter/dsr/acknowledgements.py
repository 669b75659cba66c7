"""Downstream systems' signed acknowledgements of DSR tasks, and tasks their webhook could never reach.

A system answers a ``dsr.erasure_requested`` webhook with a signed callback (Standard Webhooks, the
system's own secret) naming the task; the request completes when every system has answered. A task whose
delivery was dead-lettered is resolved as undeliverable by the ``dsr.undeliverable_tasks`` sweep."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.params import Parameter
from sqlalchemy import select

from prefcenter.context import AppContext
from prefcenter.dsr.downstream import complete_if_resolved
from prefcenter.dsr.lifecycle import WORKER, record
from prefcenter.dsr.routes import problem_spec
from prefcenter.errors import Conflict, InvalidInput, NotFound, Unauthorized
from prefcenter.store.models_dsr import (
    DownstreamSystem,
    DsrRequest,
    DsrSystemTask,
    DsrTaskAck,
    WebhookDelivery,
)
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.vocabulary import SINGLE_LINE_PATTERN
from prefcenter.webhooks import signing
from prefcenter.webhooks.schemas import TaskAck, TaskAckRead
from prefcenter.webhooks.service import system_secret

MAX_WEBHOOK_ID = 200  # the column's size (``DsrTaskAck.webhook_id``)


class TaskAckController(Controller):
    """Public: the callback is authenticated by its Standard Webhooks signature with the system's secret."""

    path = "/public/v1/dsr-tasks"
    tags = ["webhooks"]
    security = []

    @post(
        "/{task_id:str}/ack",
        operation_id="acknowledgeDsrTask",
        status_code=200,
        responses={
            401: problem_spec("The callback is not signed with the system's secret"),
            409: problem_spec(
                "The task was resolved already with another outcome, or the webhook-id was used already "
                "for another acknowledgement"
            ),
            422: problem_spec("The signed body names another task"),
        },
    )
    async def acknowledge(
        self,
        ctx: AppContext,
        request: Request,
        task_id: Annotated[
            str,
            Parameter(
                description="task_id from the dsr.erasure_requested webhook",
                max_length=36,
                pattern=SINGLE_LINE_PATTERN,
            ),
        ],
    ) -> TaskAckRead:
        """A downstream system reports it erased the person (or held nothing, or failed); signed like our webhooks.

        The body names its task (``{"task_id": ..., "status": "erased"}``); a resend with the same
        webhook-id, task and body is answered as the first time."""
        raw = await request.body()
        if len(raw) > 10_000:
            raise InvalidInput("the acknowledgement body is too large")
        try:
            body = msgspec.json.decode(raw, type=TaskAck)
        except msgspec.DecodeError as exc:
            raise InvalidInput(f"the acknowledgement is not valid: {exc}") from exc
        headers = {
            k: request.headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
        }
        async with ctx.unit_of_work() as uow:
            return await acknowledge_task(uow, task_id, headers, raw, body)


async def acknowledge_task(
    uow: UnitOfWork, task_id: str, headers: dict[str, str], body_bytes: bytes, body: TaskAck
) -> TaskAckRead:
    """A system's signed callback: verify its Standard Webhooks signature and that the signed body names
    this task, record the outcome, and complete the request when every system has answered.

    Each ``webhook-id`` is remembered per system: a resend with the same id, task and body gets the first
    answer again (the system may have lost it); any other reuse of the id is refused (409)."""
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


async def resolve_undeliverable_tasks(ctx, worker_id: str) -> int:
    """Pending tasks whose webhook was dead-lettered (retries exhausted) become ``undeliverable``; the
    request completes if that was the last system it waited for."""
    async with ctx.db.read_session() as session:
        task_ids = (
            (
                await session.execute(
                    select(DsrSystemTask.id)
                    .join(WebhookDelivery, WebhookDelivery.task_id == DsrSystemTask.id)
                    .where(DsrSystemTask.status == "pending", WebhookDelivery.status == "dead")
                    .distinct()
                )
            )
            .scalars()
            .all()
        )
    for task_id in task_ids:
        async with ctx.unit_of_work() as uow:
            task = await uow.session.get(DsrSystemTask, task_id)
            if task is None or task.status != "pending":
                continue
            task.status, task.resolved_at = "undeliverable", uow.now
            task.detail = "the task could not be delivered (retries exhausted)"
            req = (
                await uow.session.execute(
                    select(DsrRequest).where(DsrRequest.id == task.request_id).with_for_update()
                )
            ).scalar_one()
            record(uow, req, "system_ack", WORKER, f"system {task.system_id}: undeliverable")
            await uow.session.flush()
            await complete_if_resolved(uow, req)
    return len(task_ids)
