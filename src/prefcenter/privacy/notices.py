"""Keeping the person informed, in their language: the receipt once the code is confirmed, an extension
with its reason, and the completion (with a download link for an access or portability export; "we hold
no data about you" for a request about no one we know). A sweep the worker runs: it sends what a request
has not been told yet, then marks it told; a completion shreds the requester's address (a request about
no one keeps it for the proof period after it closed, then the same sweep shreds it). Delivery is at least
once: a crash between sending and marking sends that message again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from prefcenter.dsr import export as exports
from prefcenter.notify.sender import Message
from prefcenter.notify.sms import TextMessage
from prefcenter.privacy import texts
from prefcenter.privacy.service import shred, unseal_address
from prefcenter.store.models_dsr import DsrHistory, DsrRequest
from prefcenter.store.models_privacy import PrivacyRequest
from prefcenter.store.unit_of_work import Actor, utcnow

PRIVACY_CENTER = Actor("system", "privacy-center")
BATCH = 50
TOLD_ON_CLOSE = ("completed", "rejected")  # "failed" is retried by an officer, not the end


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


async def sweep(ctx, worker_id: str) -> int:
    return await inform(ctx) + await shred_expired(ctx)


async def inform(ctx) -> int:
    """Send every message a confirmed request is owed; returns how many requests were told something."""
    async with ctx.db.read_session() as session:
        pending = (
            (
                await session.execute(
                    select(PrivacyRequest.id)
                    .join(DsrRequest, DsrRequest.id == PrivacyRequest.dsr_request_id)
                    .where(
                        PrivacyRequest.wrapped_key.is_not(None),
                        or_(
                            PrivacyRequest.receipt_sent_at.is_(None),
                            PrivacyRequest.extension_sent_months < DsrRequest.extended_months,
                            and_(
                                PrivacyRequest.completion_sent_at.is_(None),
                                DsrRequest.status.in_(TOLD_ON_CLOSE),
                            ),
                        ),
                    )
                    .limit(BATCH)
                )
            )
            .scalars()
            .all()
        )
    for request_id in pending:
        await _tell(ctx, request_id)
    return len(pending)


def _owes_a_download(row: PrivacyRequest, req: DsrRequest) -> bool:
    """Whether the request's closing mail, not sent yet, carries a download link."""
    return (
        row.completion_sent_at is None
        and req.status in TOLD_ON_CLOSE
        and req.type in ("access", "portability")
        and req.outcome == "exported"
    )


async def _download_link(ctx, request_id: str) -> tuple[str, datetime] | None:
    """The download link (token, expiry) the closing mail will carry, committed before the mail is sent:
    the person may open it the moment it arrives. None when no such mail is due. A link whose mail then
    fails to go is never sent, and expires unused (the next sweep mints another)."""
    async with ctx.unit_of_work() as uow:
        row = await uow.session.get(PrivacyRequest, request_id)
        if row is None or row.wrapped_key is None or row.dsr_request_id is None:
            return None
        req = await uow.session.get(DsrRequest, row.dsr_request_id)
        if req is None or not _owes_a_download(row, req):
            return None
        token, link = await exports.create_link(
            uow, PRIVACY_CENTER, req.id, ctx.settings.dsr.export_link_ttl_seconds
        )
        return token, link.expires_at


async def _tell(ctx, request_id: str) -> None:
    company = ctx.settings.company.name
    download = await _download_link(ctx, request_id)
    async with ctx.unit_of_work() as uow:
        row = await uow.session.get(PrivacyRequest, request_id, with_for_update=True)
        if row is None or row.wrapped_key is None or row.dsr_request_id is None:
            return
        req = await uow.session.get(DsrRequest, row.dsr_request_id)
        locale, what = row.locale, texts.what(row.locale, row.type)
        to = unseal_address(uow.keys, row)
        messages: list[tuple[str, str]] = []
        closing = req.status in TOLD_ON_CLOSE and row.completion_sent_at is None
        if row.receipt_sent_at is None and not (closing and req.outcome == "no_data"):
            messages.append(
                (
                    texts.text(locale, "receipt_subject", company=company),
                    texts.text(
                        locale,
                        "receipt_text",
                        what=what,
                        received=_day(req.received_at),
                        due=_day(req.due_at),
                    ),
                )
            )
        if row.extension_sent_months < req.extended_months and not closing:
            messages.append(
                (
                    texts.text(locale, "extended_subject", company=company),
                    texts.text(
                        locale, "extended_text", what=what, due=_day(req.due_at), reason=req.extension_reason
                    ),
                )
            )
        if closing:
            messages.append(
                (
                    texts.text(locale, "done_subject", company=company),
                    await _done_text(ctx, uow, req, locale, download),
                )
            )
        row.receipt_sent_at = row.receipt_sent_at or uow.now
        row.extension_sent_months = req.extended_months
        if closing:
            row.completion_sent_at = uow.now
            if req.outcome == "no_data":  # kept as proof that we answered, then shredded
                row.shred_after = (req.completed_at or uow.now) + timedelta(
                    seconds=ctx.settings.dsr.no_data_proof_seconds
                )
            else:
                shred(row, uow.now)
        # Sent inside the transaction: a failed send rolls the marks back and the next sweep tries again.
        for subject, body in messages:
            if row.identity_kind == "phone":
                await ctx.texts.send(TextMessage(to=to, text=f"{subject}\n{body}"))
            else:
                await ctx.sender.send(Message(to=to, subject=subject, text=body))


async def _done_text(ctx, uow, req: DsrRequest, locale: str, download: tuple[str, datetime] | None) -> str:
    what = texts.what(locale, req.type)
    if req.outcome == "no_data":
        return texts.text(locale, "done_no_data")
    if req.status == "rejected":
        reason = (
            await uow.session.execute(
                select(DsrHistory.reason)
                .where(DsrHistory.request_id == req.id, DsrHistory.to_status == "rejected")
                .order_by(DsrHistory.id.desc())
                .limit(1)
            )
        ).scalar() or ""
        return texts.text(locale, "done_rejected", what=what, reason=reason)
    if req.type == "erasure":
        return texts.text(locale, "done_erasure")
    if download is not None:
        token, expires_at = download
        url = f"{ctx.settings.server.public_url}/privacy/downloads/{token}"
        return texts.text(locale, "done_access", link=url, expires=_day(expires_at))
    return texts.text(locale, "done_other", what=what)


async def shred_expired(ctx) -> int:
    """Shred the addresses whose time is up (unconfirmed codes, answered requests about no one)."""
    now = utcnow()
    async with ctx.db.write_session() as session:
        rows = (
            (
                await session.execute(
                    select(PrivacyRequest)
                    .where(PrivacyRequest.shred_after.is_not(None), PrivacyRequest.shred_after < now)
                    .limit(500)
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            shred(row, now)
    return len(rows)
