"""Filing and confirming a self-service request (GDPR Art. 15-21 through the privacy center).

Filing answers the same whether or not we hold data about the person: nothing is looked up until the
code is confirmed, and the code goes to the address given either way. Filing is throttled per identity and
per client address (counted from the requests themselves, so every process sees the same counts). A
confirmed request becomes a DSR with source ``self_service``: the subject's request when the identity is
known, else a DSR without a subject, closed at once as "we hold no data about you".
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from prefcenter import i18n
from prefcenter.core import crypto
from prefcenter.core.normalise import InvalidIdentity, parse_identity_ref
from prefcenter.dsr import intake
from prefcenter.dsr.schemas import DsrCreate
from prefcenter.dsr.verification import MAX_CODE_ATTEMPTS, mark_verified
from prefcenter.errors import Conflict, Gone, InvalidInput, NotFound, RateLimited
from prefcenter.notify.sender import Message
from prefcenter.notify.sms import TextMessage
from prefcenter.privacy import texts
from prefcenter.privacy.schemas import PrivacyRequestAccepted, PrivacyRequestConfirmed, PrivacyRequestCreate
from prefcenter.store.models_privacy import PrivacyRequest
from prefcenter.store.unit_of_work import Actor, utcnow

REQUESTER = Actor("customer", "privacy-center")
THROTTLE_WINDOW = timedelta(hours=1)
ADDRESS_KINDS = ("email", "phone")


def _code_hash(pepper: bytes, request_id: str, code: str) -> str:
    return hmac.new(pepper, f"privacy-code:{request_id}:{code}".encode(), "sha256").hexdigest()


def _address_hash(pepper: bytes, client_address: str | None) -> str | None:
    return crypto.lookup_hash(pepper, "client_address", client_address) if client_address else None


def seal_for_request(master_key: bytes, request_id: str) -> tuple[bytes, bytes]:
    """A new key of the request's own: ``(key, wrapped)``, wrapped by the master key under the request id."""
    key = crypto.new_data_key()
    return key, crypto.wrap_key(master_key, key, request_id)


def unseal_address(keys, row: PrivacyRequest) -> str:
    """The requester's address, while it is kept (raises Gone once shredded)."""
    if row.wrapped_key is None or row.sealed_address is None or row.master_key_id is None:
        raise Gone("the requester's address was shredded", reason="shredded")
    key = crypto.unwrap_key(keys.master_key_by_id(row.master_key_id), row.wrapped_key, row.id)
    return crypto.unseal(key, row.sealed_address, aad=row.id.encode()).decode()


def shred(row: PrivacyRequest, now) -> None:
    """Delete the request's key and what it sealed: the address and the details are gone for good."""
    row.wrapped_key = row.sealed_address = row.sealed_details = row.master_key_id = None
    row.shred_after, row.shredded_at = None, now


async def _refuse_when_throttled(
    session, settings, identity_hash: str, address_hash: str | None, now
) -> None:
    since = now - THROTTLE_WINDOW
    checks = [(PrivacyRequest.identity_hash == identity_hash, settings.dsr.privacy_requests_per_identity)]
    if address_hash is not None:
        checks.append(
            (PrivacyRequest.address_hash == address_hash, settings.dsr.privacy_requests_per_address)
        )
    for condition, limit in checks:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(PrivacyRequest.created_at)).where(
                    condition, PrivacyRequest.created_at > since
                )
            )
        ).one()
        if count >= limit:
            wait = max(1, int((oldest + THROTTLE_WINDOW - now).total_seconds()))
            raise RateLimited(f"too many requests; try again in {wait} s", retry_after=wait)


async def file_request(ctx, body: PrivacyRequestCreate, client_address: str | None) -> PrivacyRequestAccepted:
    """Record the request and send its one-time code to the address given."""
    try:
        kind, value = parse_identity_ref(body.identity)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), reason="invalid_identity") from exc
    if kind not in ADDRESS_KINDS:
        raise InvalidInput(
            "give an email address (email:…) or a phone number (phone:+…)", reason="invalid_identity"
        )
    keys, now = ctx.keys, utcnow()
    locale = i18n.pick_locale(body.locale)
    request_id = str(uuid.uuid4())
    identity_hash = crypto.lookup_hash(keys.pepper, kind, value)
    address_hash = _address_hash(keys.pepper, client_address)
    code = f"{secrets.randbelow(10**6):06d}"
    key, wrapped = seal_for_request(keys.master_key, request_id)
    aad = request_id.encode()
    expires_at = now + timedelta(seconds=ctx.settings.dsr.verification_code_ttl_seconds)
    async with ctx.db.write_session() as session:
        await _refuse_when_throttled(session, ctx.settings, identity_hash, address_hash, now)
        session.add(
            PrivacyRequest(
                id=request_id,
                type=body.type,
                locale=locale,
                identity_kind=kind,
                identity_hash=identity_hash,
                address_hash=address_hash,
                master_key_id=keys.master_key_id,
                wrapped_key=wrapped,
                sealed_address=crypto.seal(key, value.encode(), aad=aad),
                sealed_details=crypto.seal(key, body.details.encode(), aad=aad) if body.details else None,
                code_hash=_code_hash(keys.pepper, request_id, code),
                code_expires_at=expires_at,
                code_attempts=0,
                created_at=now,
                extension_sent_months=0,
                shred_after=expires_at,  # never confirmed: the address goes with the code
            )
        )
    company = ctx.settings.company.name
    what = texts.what(locale, body.type)
    if kind == "email":
        await ctx.sender.send(
            Message(
                to=value,
                subject=texts.text(locale, "code_subject", company=company),
                text=texts.text(locale, "code_text", company=company, what=what, code=code),
            )
        )
    else:
        await ctx.texts.send(
            TextMessage(to=value, text=texts.text(locale, "code_sms", company=company, code=code))
        )
    return PrivacyRequestAccepted(id=request_id, code_sent_to=kind)


async def _load(session, request_id: str) -> PrivacyRequest:
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise NotFound(f"no privacy request {request_id}") from None
    row = (
        await session.execute(select(PrivacyRequest).where(PrivacyRequest.id == request_id).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no privacy request {request_id}")
    return row


async def confirm_request(ctx, request_id: str, code: str) -> PrivacyRequestConfirmed:
    """Check the code (five tries; a wrong one is counted even though the call fails) and turn the request
    into a DSR with source ``self_service``, verified by the code."""
    async with ctx.unit_of_work() as uow:
        row = await _load(uow.session, request_id)
        if row.dsr_request_id is not None:
            return PrivacyRequestConfirmed(id=row.id)
        if row.code_attempts >= MAX_CODE_ATTEMPTS:
            raise Conflict("too many wrong codes; file the request again", reason="too_many_attempts")
        if row.code_hash is None or row.code_expires_at < uow.now or row.wrapped_key is None:
            raise Gone("the code expired; file the request again", reason="code_expired")
        if hmac.compare_digest(row.code_hash, _code_hash(uow.keys.pepper, row.id, code)):
            await _become_dsr(ctx, uow, row)
            return PrivacyRequestConfirmed(id=row.id)
        row.code_attempts += 1
    raise InvalidInput("the code is wrong", reason="wrong_code")


async def _become_dsr(ctx, uow, row: PrivacyRequest) -> None:
    value = unseal_address(uow.keys, row)
    details = None
    if row.sealed_details is not None:
        key = crypto.unwrap_key(uow.keys.master_key_by_id(row.master_key_id), row.wrapped_key, row.id)
        details = crypto.unseal(key, row.sealed_details, aad=row.id.encode()).decode()
    why = "the requester confirmed the one-time code of the privacy center"
    body = DsrCreate(type=row.type, identity=f"{row.identity_kind}:{value}", note=details, touchpoint="web")
    try:
        req, _ = await intake.create_request(uow, REQUESTER, body, source="self_service")
    except (NotFound, Conflict) as exc:
        if isinstance(exc, Conflict) and exc.extra.get("reason") != "erased":
            raise
        req = await intake.record_without_subject(
            uow, REQUESTER, row.type, row.identity_kind, source="self_service", why=why
        )
    else:
        if req.status == "received":  # new, or an open one an officer recorded and nobody verified yet
            await mark_verified(
                uow, REQUESTER, req, "code", why, max_attempts=ctx.settings.dsr.job_max_attempts
            )
    row.verified_at, row.dsr_request_id = uow.now, req.id
    row.code_hash, row.sealed_details, row.shred_after = (
        None,
        None,
        None,
    )  # the address stays until the last message
