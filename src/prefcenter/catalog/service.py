"""Catalog use cases. Every catalog change is audited and bumps the catalog version."""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.catalog.schemas import (
    CatalogRead,
    ChannelRead,
    ChannelWrite,
    Company,
    NoticeRead,
    NoticeWrite,
    TextsRead,
    TopicGroupRead,
    TopicGroupWrite,
    TopicRead,
    TopicWrite,
    TranslationGap,
)
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.i18n import DEFAULT_LOCALE, LOCALES
from prefcenter.store.database import Database
from prefcenter.store.models import Channel, Meta, Notice, Preference, Topic, TopicGroup
from prefcenter.store.projection_rows import ProjectionReader
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.store.write_statements import catalog_version

MAX_LIFETIME_DAYS = 3650
_R = TypeVar("_R", ChannelRead, TopicRead, TopicGroupRead)
SERVICE_MESSAGE_BASES = ("contract", "legal_obligation")


async def _bump_version(uow: UnitOfWork) -> int:
    meta = await uow.session.get(Meta, "catalog_version")
    if meta is None:
        meta = Meta(key="catalog_version", value="0")
        uow.session.add(meta)
    meta.value = str(int(meta.value) + 1)
    return int(meta.value)


async def put_channel(uow: UnitOfWork, actor: Actor, key: str, body: ChannelWrite) -> ChannelRead:
    channel = await uow.session.get(Channel, key)
    if channel is None:
        channel = Channel(key=key)
        uow.session.add(channel)
    channel.name, channel.description, channel.updated_at = body.name, body.description, uow.now
    channel.translations = _translations(body.translations)
    version = await _bump_version(uow)
    await uow.append_event(
        "catalog.channel_set",
        actor=actor,
        data={
            "key": key,
            "name": body.name,
            "locales": sorted(channel.translations),
            "catalog_version": version,
        },
    )
    return _channel_read(channel)


async def put_group(uow: UnitOfWork, actor: Actor, key: str, body: TopicGroupWrite) -> TopicGroupRead:
    group = await uow.session.get(TopicGroup, key)
    if group is None:
        group = TopicGroup(key=key)
        uow.session.add(group)
    group.name, group.updated_at = body.name, uow.now
    group.translations = {locale: {"name": t.name} for locale, t in sorted(body.translations.items())}
    version = await _bump_version(uow)
    await uow.append_event(
        "catalog.group_set",
        actor=actor,
        data={
            "key": key,
            "name": body.name,
            "locales": sorted(group.translations),
            "catalog_version": version,
        },
    )
    return _group_read(group)


def _translations(texts: dict) -> dict[str, dict[str, str]]:
    return {locale: {"name": t.name, "description": t.description} for locale, t in sorted(texts.items())}


async def put_topic(uow: UnitOfWork, actor: Actor, key: str, body: TopicWrite) -> TopicRead:
    if not body.channels:
        raise InvalidInput("a topic needs at least one channel")
    known = set((await uow.session.execute(select(Channel.key))).scalars())
    unknown = sorted(set(body.channels) - known)
    if unknown:
        raise InvalidInput(
            f"unknown channel(s) {', '.join(unknown)}; create them first with PUT /v1/catalog/channels/{{key}}"
        )
    if body.consent_lifetime_days is not None and not 1 <= body.consent_lifetime_days <= MAX_LIFETIME_DAYS:
        raise InvalidInput(f"consent_lifetime_days must be between 1 and {MAX_LIFETIME_DAYS}")
    optional = body.optional if body.optional is not None else body.legal_basis not in SERVICE_MESSAGE_BASES
    if not optional and body.legal_basis not in SERVICE_MESSAGE_BASES:
        raise InvalidInput(
            f"only a topic resting on contract or legal obligation can be a service message (optional: false); "
            f"{body.legal_basis} is always optional"
        )
    group = await uow.session.get(TopicGroup, body.group_key) if body.group_key is not None else None
    if body.group_key is not None and group is None:
        raise InvalidInput(
            f"unknown group {body.group_key}; create it first with PUT /v1/catalog/groups/{{key}}"
        )
    topic = await uow.session.get(Topic, key)
    if topic is None:
        topic = Topic(key=key)
        uow.session.add(topic)
    topic.name = body.name
    topic.description = body.description
    topic.group_name = body.group or (group.name if group is not None else "")
    topic.legal_basis = body.legal_basis
    topic.channels = sorted(set(body.channels))
    topic.double_opt_in = body.double_opt_in
    topic.consent_lifetime_days = body.consent_lifetime_days
    topic.honour_gpc = body.honour_gpc
    topic.allow_when_channel_opted_out = body.allow_when_channel_opted_out
    topic.optional = optional
    topic.group_key = body.group_key
    topic.translations = _translations(body.translations)
    topic.updated_at = uow.now
    version = await _bump_version(uow)
    await uow.append_event(
        "catalog.topic_set",
        actor=actor,
        data={
            "key": key,
            "legal_basis": body.legal_basis,
            "channels": topic.channels,
            "optional": optional,
            "locales": sorted(topic.translations),
            "catalog_version": version,
        },
    )
    return _topic_read(topic, await _latest_notice(uow.session, key, DEFAULT_LOCALE))


async def add_notice(uow: UnitOfWork, actor: Actor, topic_key: str, body: NoticeWrite) -> NoticeRead:
    if await uow.session.get(Topic, topic_key) is None:
        raise NotFound(f"no topic {topic_key}")
    if not body.text.strip():
        raise InvalidInput("a notice needs text")
    locale = body.locale or DEFAULT_LOCALE
    latest = await _latest_notice(uow.session, topic_key, locale)
    notice = Notice(
        topic_key=topic_key,
        locale=locale,
        version=(latest.version + 1) if latest else 1,
        text=body.text,
        sha256=hashlib.sha256(body.text.encode()).hexdigest(),
        created_at=uow.now,
    )
    uow.session.add(notice)
    await _bump_version(uow)
    await uow.append_event(
        "catalog.notice_published",
        actor=actor,
        data={"topic": topic_key, "locale": locale, "version": notice.version, "sha256": notice.sha256},
    )
    return _notice_read(notice)


async def list_notices(session: AsyncSession, topic_key: str) -> list[NoticeRead]:
    if await session.get(Topic, topic_key) is None:
        raise NotFound(f"no topic {topic_key}")
    rows = await session.execute(
        select(Notice).where(Notice.topic_key == topic_key).order_by(Notice.locale, Notice.version)
    )
    return [_notice_read(n) for n in rows.scalars()]


async def _latest_notices(session: AsyncSession) -> dict[tuple[str, str], Notice]:
    """(topic, locale) -> the latest notice in that locale."""
    latest_versions = (
        select(Notice.topic_key, Notice.locale, func.max(Notice.version).label("version"))
        .group_by(Notice.topic_key, Notice.locale)
        .subquery()
    )
    rows = await session.execute(
        select(Notice).join(
            latest_versions,
            (Notice.topic_key == latest_versions.c.topic_key)
            & (Notice.locale == latest_versions.c.locale)
            & (Notice.version == latest_versions.c.version),
        )
    )
    return {(n.topic_key, n.locale): n for n in rows.scalars()}


async def read_catalog(session: AsyncSession, company_name: str, locale: str = DEFAULT_LOCALE) -> CatalogRead:
    """The catalog with its texts in ``locale``; each missing text falls back to the default locale's."""
    channels = (await session.execute(select(Channel).order_by(Channel.key))).scalars().all()
    topics = (await session.execute(select(Topic).order_by(Topic.group_name, Topic.key))).scalars().all()
    groups = {
        g.key: g for g in (await session.execute(select(TopicGroup).order_by(TopicGroup.key))).scalars()
    }
    notices = await _latest_notices(session)
    meta = await session.get(Meta, "catalog_version")
    return CatalogRead(
        version=int(meta.value) if meta else 0,
        company=Company(name=company_name),
        channels=[_localised(_channel_read(c), c.translations, locale) for c in channels],
        topics=[
            _localised(
                _topic_read(
                    t,
                    notices.get((t.key, locale)) or notices.get((t.key, DEFAULT_LOCALE)),
                    _group_name(groups.get(t.group_key or ""), locale),
                ),
                t.translations,
                locale,
            )
            for t in topics
        ],
        locale=locale,
        groups=[_localised(_group_read(g), g.translations, locale) for g in groups.values()],
    )


async def translation_gaps(session: AsyncSession, locales: tuple[str, ...] = LOCALES) -> list[TranslationGap]:
    """Every catalog text that has no translation in one of ``locales`` (besides the default locale)."""
    wanted = [locale for locale in locales if locale != DEFAULT_LOCALE]
    channels = (await session.execute(select(Channel).order_by(Channel.key))).scalars().all()
    groups = (await session.execute(select(TopicGroup).order_by(TopicGroup.key))).scalars().all()
    topics = (await session.execute(select(Topic).order_by(Topic.key))).scalars().all()
    notices = await _latest_notices(session)
    gaps = []
    for locale in wanted:
        gaps += [TranslationGap(locale, "channel", c.key) for c in channels if locale not in c.translations]
        gaps += [TranslationGap(locale, "group", g.key) for g in groups if locale not in g.translations]
        gaps += [TranslationGap(locale, "topic", t.key) for t in topics if locale not in t.translations]
        gaps += [
            TranslationGap(locale, "notice", t.key)
            for t in topics
            if (t.key, DEFAULT_LOCALE) in notices and (t.key, locale) not in notices
        ]
    return gaps


# Database -> (catalog version, company name, locale -> the answer at that version)
_answers: weakref.WeakKeyDictionary[Database, tuple[str | None, str, dict[str, CatalogRead]]] = (
    weakref.WeakKeyDictionary()
)


async def current_catalog(
    db: Database, reader: ProjectionReader, company_name: str, locale: str = DEFAULT_LOCALE
) -> CatalogRead:
    """``read_catalog``, read again only when ``meta.catalog_version`` moved (one indexed lookup per call).

    Every catalog change bumps the version in its own transaction (``_bump_version``), and the version is
    read before the catalog, so an answer is never kept under a version older than what it shows."""
    return await catalog_at(db, await reader.catalog_version(), company_name, locale)


async def catalog_at(db: Database, version: str | None, company_name: str, locale: str) -> CatalogRead:
    """``current_catalog`` for a ``meta.catalog_version`` the caller read already (the preference center reads
    it with the profile); the catalog is read after it, as there."""
    cached = _answers.get(db)
    if cached is None or cached[0] != version or cached[1] != company_name:
        cached = (version, company_name, {})
        _answers[db] = cached
    answer = cached[2].get(locale)
    if answer is None:
        async with db.read_session() as session:
            answer = await read_catalog(session, company_name, locale)
        if locale in LOCALES:  # any other asked locale is answered, not kept (no memory for made-up ones)
            cached[2][locale] = answer
    return answer


async def _latest_notice(session: AsyncSession, topic_key: str, locale: str) -> Notice | None:
    return (
        await session.execute(
            select(Notice)
            .where(Notice.topic_key == topic_key, Notice.locale == locale)
            .order_by(Notice.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def _texts(translations: dict) -> dict[str, TextsRead]:
    return {
        locale: TextsRead(name=t["name"], description=t.get("description", ""))
        for locale, t in translations.items()
    }


def _localised(read: _R, translations: dict, locale: str) -> _R:
    texts = translations.get(locale)
    if texts is None:
        return read
    if isinstance(read, TopicGroupRead):
        return msgspec.structs.replace(read, name=texts["name"])
    return msgspec.structs.replace(read, name=texts["name"], description=texts.get("description") or "")


def _group_name(group: TopicGroup | None, locale: str) -> str | None:
    if group is None:
        return None
    return group.translations.get(locale, {}).get("name") or group.name


def _notice_read(n: Notice) -> NoticeRead:
    return NoticeRead(
        version=n.version, text=n.text, sha256=n.sha256, created_at=n.created_at, locale=n.locale
    )


def _channel_read(c: Channel) -> ChannelRead:
    return ChannelRead(
        key=c.key, name=c.name, description=c.description, translations=_texts(c.translations or {})
    )


def _group_read(g: TopicGroup) -> TopicGroupRead:
    return TopicGroupRead(key=g.key, name=g.name, translations=_texts(g.translations or {}))


def _topic_read(t: Topic, notice: Notice | None, group_name: str | None = None) -> TopicRead:
    return TopicRead(
        key=t.key,
        name=t.name,
        description=t.description,
        group=group_name if group_name is not None else t.group_name,
        legal_basis=t.legal_basis,
        channels=list(t.channels),
        double_opt_in=t.double_opt_in,
        consent_lifetime_days=t.consent_lifetime_days,
        honour_gpc=t.honour_gpc,
        allow_when_channel_opted_out=t.allow_when_channel_opted_out,
        notice=_notice_read(notice) if notice else None,
        optional=t.optional,
        group_key=t.group_key,
        translations=_texts(t.translations or {}),
    )


async def service_message_opt_outs(session: AsyncSession) -> dict[str, int]:
    """Per service message (a topic that is not optional): how many opt-outs are stored for it. They stay in
    force until the customer changes them; the admin catalog page shows the count."""
    rows = await session.execute(
        select(Preference.topic, func.count())
        .join(Topic, Topic.key == Preference.topic)
        .where(Topic.optional.is_(False), Preference.status == "opted_out")
        .group_by(Preference.topic)
    )
    return {topic: count for topic, count in rows.all()}


class TopicTerms(NamedTuple):
    """What a write checks of a topic: where it is offered, its legal basis and how consent to it works."""

    key: str
    legal_basis: str
    channels: list[str]
    optional: bool
    double_opt_in: bool
    consent_lifetime_days: int | None


@dataclass(frozen=True)
class WriteCatalog:
    """The catalog as writes check it (a save's channels and topics, a grant's topic and notice), at one
    ``meta.catalog_version``."""

    version: str | None
    channels: frozenset[str]
    topics: dict[str, TopicTerms]
    notices: dict[tuple[str, str, int], str]  # (topic, locale, version) -> the text's SHA-256


# the write engine -> the catalog at the version last seen through it
_write_catalogs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def write_catalog(uow: UnitOfWork) -> WriteCatalog:
    """The catalog for this write's checks: the version is read in the write's transaction (one indexed
    lookup) and the catalog itself again only when it moved. Every catalog change bumps the version in its
    own transaction (``_bump_version``), so a kept catalog is never older than the version it is kept under."""
    version = await catalog_version(await uow.statements())
    engine = uow.db.write_engine
    kept = _write_catalogs.get(engine)
    if kept is None or kept.version != version:
        session = uow.session
        topics = {
            key: TopicTerms(key, basis, list(channels), optional, double_opt_in, lifetime)
            for key, basis, channels, optional, double_opt_in, lifetime in await session.execute(
                select(
                    Topic.key,
                    Topic.legal_basis,
                    Topic.channels,
                    Topic.optional,
                    Topic.double_opt_in,
                    Topic.consent_lifetime_days,
                )
            )
        }
        notices = {
            (topic, locale, version): sha256
            for topic, locale, version, sha256 in await session.execute(
                select(Notice.topic_key, Notice.locale, Notice.version, Notice.sha256)
            )
        }
        channels = frozenset((await session.execute(select(Channel.key))).scalars())
        kept = _write_catalogs[engine] = WriteCatalog(version, channels, topics, notices)
    return kept
