"""Verifying who asked: a one-time code emailed to the subject (only its keyed hash is kept, five tries),
or an officer's note on how identity was checked. A verified request's work is queued."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select

from prefcenter.core import crypto
from prefcenter.dsr.actions import ensure_allowed
from prefcenter.dsr.lifecycle import get_request, record, schedule_work, transition
from prefcenter.errors import Conflict, Gone, InvalidInput
from prefcenter.store.models import Identity
from prefcenter.store.models_dsr import DsrRequest
from prefcenter.store.unit_of_work import Actor, UnitOfWork, load_data_key

MAX_CODE_ATTEMPTS = 5


def _code_hash(pepper: bytes, request_id: str, code: str) -> str:
    return hmac.new(pepper, f"dsr-code:{request_id}:{code}".encode(), "sha256").hexdigest()


async def start_verification(
    uow: UnitOfWork, actor: Actor, request_id: str, ttl_seconds: int
) -> tuple[str, str]:
    """Make a one-time code and return ``(email, code)`` for the sender; only the code's keyed hash is kept."""
    req = await get_request(uow.session, request_id, for_update=True)
    if req.status != "received":
        raise Conflict(
            f"the request is {req.status}; only a received request needs verification", reason="status"
        )
    rows = (
        (
            await uow.session.execute(
                select(Identity).where(Identity.subject_id == req.subject_id, Identity.kind == "email")
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        raise Conflict(
            "the subject has no email identity to send a code to; verify with an officer note instead",
            reason="no_email",
        )
    key = await load_data_key(uow.session, uow.keys, req.subject_id)
    email = crypto.unseal(key, rows[0].sealed_value, aad=req.subject_id.encode()).decode()
    code = f"{secrets.randbelow(10**6):06d}"
    req.verification_code_hash = _code_hash(uow.keys.pepper, req.id, code)
    req.verification_expires_at = uow.now + timedelta(seconds=ttl_seconds)
    req.verification_attempts = 0
    record(uow, req, "verification_sent", actor, "a one-time code was sent to the subject's email")
    return email, code


async def verify(
    uow: UnitOfWork, actor: Actor, request_id: str, code: str | None, note: str | None, *, max_attempts: int
) -> DsrRequest:
    req = await get_request(uow.session, request_id, for_update=True)
    ensure_allowed(req, "verify")
    if code is not None:
        if req.verification_code_hash is None:
            raise Conflict("no code was sent for this request; send one first", reason="no_code")
        if req.verification_attempts >= MAX_CODE_ATTEMPTS:
            raise Conflict("too many wrong codes; send a new one", reason="too_many_attempts")
        if req.verification_expires_at is not None and req.verification_expires_at < uow.now:
            raise Gone("the verification code expired; send a new one", reason="code_expired")
        if not hmac.compare_digest(req.verification_code_hash, _code_hash(uow.keys.pepper, req.id, code)):
            req.verification_attempts += 1
            raise InvalidInput("the verification code is wrong", reason="wrong_code")
        method, why = "code", "the subject confirmed the one-time code"
    elif note is not None:
        method, why = "officer", note
    else:
        raise InvalidInput(
            "give the code the subject received, or a note on how an officer verified identity"
        )
    req.verification_code_hash = None
    await mark_verified(uow, actor, req, method, why, max_attempts=max_attempts)
    return req


async def mark_verified(
    uow: UnitOfWork, actor: Actor, req: DsrRequest, method: str, why: str, *, max_attempts: int
) -> None:
    """Record how identity was verified (``code``: a one-time code, here or in the privacy center;
    ``officer``: an officer's note) and queue the request's work."""
    req.verified_at = uow.now
    req.verification_method = method
    await transition(uow, req, "verified", actor, why)
    await schedule_work(uow, req, max_attempts)


async def verify_committing_attempts(
    ctx, actor: Actor, request_id: str, code: str | None, note: str | None
) -> str:
    """Verify; a wrong code still counts as an attempt (committed), then the error is raised."""
    async with ctx.unit_of_work() as uow:
        try:
            req = await verify(
                uow, actor, request_id, code, note, max_attempts=ctx.settings.dsr.job_max_attempts
            )
        except InvalidInput as exc:
            if exc.extra.get("reason") != "wrong_code":
                raise
            failure = exc
        else:
            return req.id
    raise failure
