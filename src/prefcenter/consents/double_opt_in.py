"""Double opt-in use cases.

The confirmation email is sent after the grant's transaction committed (``send_confirmation``), so a
mail failure never loses the consent: it stays ``pending_confirmation``, the failure is logged and the
email can be sent again (``POST /v1/subjects/{id}/consents/{consent_id}/confirmation-email``).
Unconfirmed consents expire after ``PREFCENTER_DOI_PENDING_DAYS``: confirm refuses them, and
``service.expire_unconfirmed`` (the worker's sweep, CLI ``prefcenter consents expire``) marks them ``expired``
with an audited event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter import i18n
from prefcenter.consents import service as consents
from prefcenter.consents.schemas import ConsentConfirm, ConsentRead
from prefcenter.core import crypto
from prefcenter.errors import Conflict, NotFound
from prefcenter.http.pages import TEMPLATES
from prefcenter.link_revocations.service import ensure_link_current
from prefcenter.notify.sender import Message
from prefcenter.sites.branding import Branding, branding_for, site_of_origin
from prefcenter.store.models import Consent, Identity, Subject, Topic
from prefcenter.store.unit_of_work import SYSTEM, Actor, load_data_key, utcnow

log = structlog.get_logger("prefcenter.doi")
CONFIRM_PURPOSE = "confirm"


def pending_expired(consent: Consent, now: datetime, pending_days: int) -> bool:
    return (
        consent.status == "pending_confirmation" and consent.granted_at + timedelta(days=pending_days) <= now
    )


async def email_address(session: AsyncSession, keys, subject_id: str) -> str | None:
    """The subject's first email identity, decrypted; None when it has none (or was erased)."""
    row = (
        await session.execute(
            select(Identity)
            .where(Identity.subject_id == subject_id, Identity.kind == "email")
            .order_by(Identity.added_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    data_key = await load_data_key(session, keys, subject_id)
    return crypto.unseal(data_key, row.sealed_value, aad=subject_id.encode()).decode()


def confirm_link(
    ctx, subject_id: str, consent_id: str, locale: str = i18n.DEFAULT_LOCALE, site: str | None = None
) -> str:
    """The link in the email; it carries the email's language and the site the consent was given on (its
    key, signed with the rest) so the confirm page speaks that language and shows that site's branding."""
    claims = {"site": site} if site else {}
    token, _ = ctx.tokens.purpose_token(
        CONFIRM_PURPOSE,
        subject_id,
        ctx.settings.widget.doi_pending_days * 86_400,
        cid=consent_id,
        lng=locale,
        **claims,
    )
    return f"{ctx.settings.server.public_url}/confirm/{token}"


def confirmation_message(
    brand: Branding, to: str, topic_name: str, link: str, days: int, locale: str = i18n.DEFAULT_LOCALE
) -> Message:
    company = brand.company

    def t(key: str) -> str:
        return i18n.text(locale, key, company=company, topic=topic_name, days=days)

    text = (
        f"{t('hello')}\n\n{t('email_asked')}\n{t('email_open_link')}\n\n{link}\n\n"
        f"{t('email_ignore')}\n\n{company}\n"
    )
    body = TEMPLATES.get_template("consents/confirmation_email.html").render(
        lang=locale,
        hello=t("hello"),
        asked=t("email_asked"),
        link=link,
        button=t("confirm_button"),
        ignore=t("email_ignore"),
        company=company,
        logo_url=brand.logo_url,
        accent_colour=brand.accent_colour,
    )
    return Message(to=to, subject=t("email_subject"), text=text, html=body)


async def send_confirmation(
    ctx,
    subject_id: str,
    consent_id: str,
    accept_language: str | None = None,
    site: str | None = None,
    origin: str | None = None,
) -> bool:
    """Email the confirm link for a pending consent, in the subject's language (else the request's
    ``Accept-Language``, else English), branded for the site it was given on: ``site`` (a widget token's),
    else the site served from ``origin`` (the token's origin), else the company settings. Returns False (and
    logs) when it could not be sent."""
    try:
        async with ctx.db.read_session() as session:
            consent = await session.get(Consent, consent_id)
            if consent is None or consent.subject_id != subject_id:
                raise NotFound(f"no consent {consent_id} for this subject")
            if consent.status != "pending_confirmation":
                raise Conflict(f"this consent is {consent.status}; nothing to confirm", reason=consent.status)
            topic = await session.get(Topic, consent.topic)
            subject = await session.get(Subject, subject_id)
            to = await email_address(session, ctx.keys, subject_id)
            brand = await branding_for(
                session, ctx.settings.company.name, site or await site_of_origin(session, origin)
            )
        locale = i18n.pick_locale(subject.language if subject else None, accept_language)
        if to is None:
            log.warning("doi.no_email", subject_id=subject_id, consent_id=consent_id)
            return False
        message = confirmation_message(
            brand,
            to,
            i18n.catalog_text(topic.name, topic.translations, locale) if topic else consent.topic,
            confirm_link(ctx, subject_id, consent_id, locale, brand.site),
            ctx.settings.widget.doi_pending_days,
            locale,
        )
        await ctx.sender.send(message)
    except (NotFound, Conflict):
        raise
    except Exception as exc:  # the consent is saved; the email can be sent again
        log.error("doi.send_failed", subject_id=subject_id, consent_id=consent_id, error=repr(exc))
        return False
    async with ctx.unit_of_work() as uow:
        await uow.append_event(
            "consent.confirmation_sent",
            actor=SYSTEM,
            subject_id=subject_id,
            touchpoint="email_link",
            data={"consent_id": consent_id, "topic": consent.topic},
        )
    log.info("doi.sent", subject_id=subject_id, consent_id=consent_id)
    return True


@dataclass(frozen=True)
class PendingLink:
    subject_id: str
    consent_id: str
    topic_name: str
    status: str  # pending_confirmation | granted | withdrawn | expired (| superseded)


async def inspect_link(ctx, claims: dict) -> PendingLink:
    """What a confirm link points at, without changing anything (GET must never confirm)."""
    subject_id, consent_id = str(claims["sub"]), str(claims.get("cid", ""))
    async with ctx.db.read_session() as session:
        consent = await session.get(Consent, consent_id)
        if consent is None or consent.subject_id != subject_id:
            raise NotFound("this link points at nothing")
        topic = await session.get(Topic, consent.topic)
        subject = await session.get(Subject, subject_id)
    status = consent.status
    if subject is None or subject.erased_at is not None:
        raise NotFound("this link points at nothing")
    ensure_link_current(subject, ctx.tokens.issued_at_ms(claims))
    if not consent.is_current and status == "pending_confirmation":
        status = "superseded"
    elif pending_expired(consent, utcnow(), ctx.settings.widget.doi_pending_days):
        status = "expired"
    # The topic's name in the language the email was written in (the link carries it).
    locale = i18n.pick_locale(claims.get("lng") if isinstance(claims.get("lng"), str) else None)
    name = i18n.catalog_text(topic.name, topic.translations, locale) if topic else consent.topic
    return PendingLink(subject_id, consent_id, name, status)


async def confirm_from_link(ctx, claims: dict) -> ConsentRead:
    """POST on the confirm page: the customer confirms, touchpoint email_link (Gone when the link was revoked)."""
    subject_id, consent_id = str(claims["sub"]), str(claims.get("cid", ""))
    async with ctx.unit_of_work() as uow:
        subject = await uow.lock_subject(subject_id)
        ensure_link_current(subject, ctx.tokens.issued_at_ms(claims))
        result = await consents.confirm(
            uow,
            Actor("customer", subject_id),
            subject_id,
            consent_id,
            ConsentConfirm(touchpoint="email_link"),
            pending_days=ctx.settings.widget.doi_pending_days,
        )
        uow.bump_revision(subject)
    return result
