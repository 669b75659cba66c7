"""Sending the outbox: signed POSTs with a timeout, exponential backoff, a dead-letter state.

Due deliveries are leased (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several workers share the
work; they are sent concurrently, each bounded by the timeout, so a slow or broken system never holds
back the deliveries to the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx
import structlog
from sqlalchemy import or_, select

from prefcenter.jobs.queue import backoff_seconds
from prefcenter.store.models_dsr import DownstreamSystem, WebhookDelivery
from prefcenter.store.unit_of_work import utcnow
from prefcenter.webhooks import signing
from prefcenter.webhooks.service import system_secret

log = structlog.get_logger("prefcenter.webhooks")
BATCH = 50


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


async def _post(
    client: httpx.AsyncClient, url: str, secret: str, msg_id: str, body: bytes, limit_seconds: float
) -> Outcome:
    try:
        response = await asyncio.wait_for(
            client.post(url, content=body, headers=signing.headers(secret, msg_id, body)),
            timeout=limit_seconds,
        )
    except TimeoutError:
        return Outcome(False, None, f"timed out after {limit_seconds:g}s")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    return Outcome(False, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}")


async def deliver_due(ctx, worker_id: str, batch: int = BATCH) -> int:
    """Send up to ``batch`` due deliveries; returns how many were attempted."""
    settings = ctx.settings.dsr
    now = utcnow()
    async with ctx.db.write_session() as session:
        rows = (
            (
                await session.execute(
                    select(WebhookDelivery)
                    .where(
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= now,
                        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now),
                    )
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return 0
        lease = now + timedelta(seconds=settings.webhook_timeout_seconds + 30)
        for d in rows:
            d.locked_until = lease
            d.attempts += 1
        system_ids = {d.system_id for d in rows}
        systems = {
            s.id: s
            for s in (
                await session.execute(select(DownstreamSystem).where(DownstreamSystem.id.in_(system_ids)))
            ).scalars()
        }
        work = [(d.id, d.system_id, d.payload.encode(), d.attempts) for d in rows]
    secrets = {sid: system_secret(ctx.keys, s) for sid, s in systems.items()}

    timeout = settings.webhook_timeout_seconds
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        outcomes = await asyncio.gather(
            *[
                _post(client, systems[sid].url, secrets[sid], msg_id, body, timeout)
                for msg_id, sid, body, _ in work
            ]
        )

    async with ctx.db.write_session() as session:
        now = utcnow()
        for (msg_id, _sid, _, attempts), outcome in zip(work, outcomes, strict=True):
            d = await session.get(WebhookDelivery, msg_id)
            if d is None or d.status != "pending":
                continue
            d.locked_until = None
            d.last_status_code = outcome.status_code
            if outcome.ok:
                d.status, d.delivered_at, d.last_error = "delivered", now, None
                continue
            d.last_error = outcome.error
            if attempts >= settings.webhook_max_attempts:
                d.status = "dead"
                log.warning("webhook dead-lettered", delivery=msg_id, attempts=attempts, error=outcome.error)
            else:
                d.next_attempt_at = now + timedelta(
                    seconds=backoff_seconds(attempts, settings.webhook_backoff_seconds)
                )
    return len(work)
