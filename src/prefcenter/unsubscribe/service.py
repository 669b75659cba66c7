"""Mint one-click unsubscribe links and apply them: a preference opt-out by the customer via an email link.

A link does that one thing: it expires (``PREFCENTER_UNSUBSCRIBE_LINK_DAYS``), a link revocation refuses it,
and neither its page nor its answer hands out any other credential (no manage link, no subject token).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from prefcenter import i18n
from prefcenter.context import AppContext
from prefcenter.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from prefcenter.link_revocations.service import ensure_link_current
from prefcenter.store.models import Channel, Preference, Subject, Topic
from prefcenter.store.models_sites import Site
from prefcenter.store.unit_of_work import Actor
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate
from prefcenter.subjects.service import update_preferences
from prefcenter.unsubscribe.schemas import MAX_LINKS, UnsubscribeLinkRead, UnsubscribeLinksCreate
from prefcenter.unsubscribe.tokens import ALL_TOPICS, UnsubscribeClaim, UnsubscribeTokens

ONE_CLICK = "List-Unsubscribe=One-Click"


def tokens(ctx: AppContext) -> UnsubscribeTokens:
    issuer = getattr(ctx, "_unsubscribe_tokens", None)
    if issuer is None:
        issuer = UnsubscribeTokens(ctx.keys.signing_key, ctx.settings.widget.unsubscribe_link_days)
        ctx._unsubscribe_tokens = issuer  # one Ed25519 key object per process
    return issuer


def link_url(ctx: AppContext, token: str) -> str:
    return f"{ctx.settings.server.public_url}/u/{token}"


async def mint_links(ctx: AppContext, body: UnsubscribeLinksCreate) -> list[UnsubscribeLinkRead]:
    if len(body.subjects) > MAX_LINKS:
        raise PayloadTooLarge(f"at most {MAX_LINKS} subjects per call", max_items=MAX_LINKS)
    async with ctx.db.read_session() as session:
        if await session.get(Channel, body.channel) is None:
            raise InvalidInput(f"unknown channel {body.channel}")
        if body.topic is not None:
            topic = await session.get(Topic, body.topic)
            if topic is None:
                raise InvalidInput(f"unknown topic {body.topic}")
            if body.channel not in topic.channels:
                raise InvalidInput(f"topic {body.topic} is not offered on channel {body.channel}")
        if body.site is not None and await session.get(Site, body.site) is None:
            raise InvalidInput(f"unknown site {body.site}")
    issuer = tokens(ctx)
    out = []
    for subject_id in body.subjects:
        try:
            uuid.UUID(subject_id)
        except ValueError:
            raise InvalidInput("subjects must be prefcenter ids (UUIDs)") from None
        token, expires = issuer.mint(subject_id, body.channel, body.topic or ALL_TOPICS, site=body.site)
        url = link_url(ctx, token)
        out.append(
            UnsubscribeLinkRead(
                subject_id=subject_id,
                url=url,
                list_unsubscribe=f"<{url}>",
                list_unsubscribe_post=ONE_CLICK,
                expires_at=datetime.fromtimestamp(expires, UTC),
            )
        )
    return out


def open_link(ctx: AppContext, token: str) -> UnsubscribeClaim:
    """The claim of a link that may be used now: NotFound when not valid, Gone when expired."""
    return tokens(ctx).verify(token)


def _ensure_not_revoked(subject: Subject | None, claim: UnsubscribeClaim) -> None:
    if subject is not None:  # an unknown subject: the opt-out answers 404 itself
        ensure_link_current(subject, claim.issued_at_ms)


async def apply_unsubscribe(ctx: AppContext, claim: UnsubscribeClaim) -> str:
    """Record the opt-out (touchpoint ``email_link``, actor ``customer``). Replays change nothing; a revoked
    link (``Gone``) changes nothing either."""
    async with ctx.db.read_session() as session:
        _ensure_not_revoked(await session.get(Subject, claim.subject_id), claim)
        current = await session.get(Preference, (claim.subject_id, claim.channel, claim.topic))
        if current is not None and current.status == "opted_out":
            return "already_unsubscribed"
    actor = Actor("customer", claim.subject_id)
    body = PreferencesUpdate(
        touchpoint="email_link",
        reason="one-click unsubscribe",
        items=[PreferenceItem(channel=claim.channel, topic=claim.topic, status="opted_out")],
    )
    try:
        async with ctx.unit_of_work() as uow:
            _ensure_not_revoked(await uow.session.get(Subject, claim.subject_id), claim)  # revoked meanwhile
            await update_preferences(uow, actor, claim.subject_id, body, None)
    except Conflict as exc:
        if exc.extra.get("reason") == "erased":
            return "erased"  # nobody left to contact: the link's job is done
        raise
    except NotFound:
        raise NotFound("this unsubscribe link names no subject we know") from None
    except InvalidInput as exc:  # the catalog changed since the link was minted
        raise Conflict(f"this unsubscribe link no longer applies: {exc.detail}") from exc
    return "unsubscribed"


async def describe_link(
    ctx: AppContext, claim: UnsubscribeClaim, locale: str = i18n.DEFAULT_LOCALE
) -> tuple[str, str]:
    """The channel's and topic's names for the page, in ``locale`` (the catalog's translations, else its
    default texts); Gone when the subject's links were revoked."""
    async with ctx.db.read_session() as session:
        _ensure_not_revoked(await session.get(Subject, claim.subject_id), claim)
        channel = await session.get(Channel, claim.channel)
        topic = None if claim.topic == ALL_TOPICS else await session.get(Topic, claim.topic)
    channel_name = i18n.catalog_text(channel.name, channel.translations, locale) if channel else claim.channel
    if topic is None:
        return channel_name, i18n.text(locale, "all_messages")
    return channel_name, i18n.catalog_text(topic.name, topic.translations, locale)
