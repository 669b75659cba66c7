"""Catalog use cases. Every catalog change is audited and bumps the catalog version."""

from __future__ import annotations

import hashlib
import weakref

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.catalog.schemas import (
    CatalogRead,
    ChannelRead,
    ChannelWrite,
    Company,
    NoticeRead,
    NoticeWrite,
    TopicRead,
    TopicWrite,
)
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.store.database import Database
from prefcenter.store.models import Channel, Meta, Notice, Topic
from prefcenter.store.projection_rows import ProjectionReader
from prefcenter.store.unit_of_work import Actor, UnitOfWork

MAX_LIFETIME_DAYS = 3650


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
    version = await _bump_version(uow)
    await uow.append_event(
        "catalog.channel_set", actor=actor, data={"key": key, "name": body.name, "catalog_version": version}
    )
    return ChannelRead(key=key, name=channel.name, description=channel.description)


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
    topic = await uow.session.get(Topic, key)
    if topic is None:
        topic = Topic(key=key)
        uow.session.add(topic)
    topic.name = body.name
    topic.description = body.description
    topic.group_name = body.group
    topic.legal_basis = body.legal_basis
    topic.channels = sorted(set(body.channels))
    topic.double_opt_in = body.double_opt_in
    topic.consent_lifetime_days = body.consent_lifetime_days
    topic.honour_gpc = body.honour_gpc
    topic.allow_when_channel_opted_out = body.allow_when_channel_opted_out
    topic.updated_at = uow.now
    version = await _bump_version(uow)
    await uow.append_event(
        "catalog.topic_set",
        actor=actor,
        data={
            "key": key,
            "legal_basis": body.legal_basis,
            "channels": topic.channels,
            "catalog_version": version,
        },
    )
    return _topic_read(topic, await _latest_notice(uow.session, key))


async def add_notice(uow: UnitOfWork, actor: Actor, topic_key: str, body: NoticeWrite) -> NoticeRead:
    if await uow.session.get(Topic, topic_key) is None:
        raise NotFound(f"no topic {topic_key}")
    if not body.text.strip():
        raise InvalidInput("a notice needs text")
    latest = await _latest_notice(uow.session, topic_key)
    notice = Notice(
        topic_key=topic_key,
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
        data={"topic": topic_key, "version": notice.version, "sha256": notice.sha256},
    )
    return _notice_read(notice)


async def list_notices(session: AsyncSession, topic_key: str) -> list[NoticeRead]:
    if await session.get(Topic, topic_key) is None:
        raise NotFound(f"no topic {topic_key}")
    rows = await session.execute(select(Notice).where(Notice.topic_key == topic_key).order_by(Notice.version))
    return [_notice_read(n) for n in rows.scalars()]


async def read_catalog(session: AsyncSession, company_name: str) -> CatalogRead:
    channels = (await session.execute(select(Channel).order_by(Channel.key))).scalars().all()
    topics = (await session.execute(select(Topic).order_by(Topic.group_name, Topic.key))).scalars().all()
    latest_versions = (
        select(Notice.topic_key, func.max(Notice.version).label("version"))
        .group_by(Notice.topic_key)
        .subquery()
    )
    notices = {
        n.topic_key: n
        for n in (
            await session.execute(
                select(Notice).join(
                    latest_versions,
                    (Notice.topic_key == latest_versions.c.topic_key)
                    & (Notice.version == latest_versions.c.version),
                )
            )
        ).scalars()
    }
    meta = await session.get(Meta, "catalog_version")
    return CatalogRead(
        version=int(meta.value) if meta else 0,
        company=Company(name=company_name),
        channels=[ChannelRead(key=c.key, name=c.name, description=c.description) for c in channels],
        topics=[_topic_read(t, notices.get(t.key)) for t in topics],
    )


# Database -> (catalog version, company name, the answer at that version)
_answers: weakref.WeakKeyDictionary[Database, tuple[str | None, str, CatalogRead]] = (
    weakref.WeakKeyDictionary()
)


async def current_catalog(db: Database, reader: ProjectionReader, company_name: str) -> CatalogRead:
    """``read_catalog``, read again only when ``meta.catalog_version`` moved (one indexed lookup per call).

    Every catalog change bumps the version in its own transaction (``_bump_version``), and the version is
    read before the catalog, so an answer is never kept under a version older than what it shows."""
    version = await reader.catalog_version()
    cached = _answers.get(db)
    if cached is not None and cached[0] == version and cached[1] == company_name:
        return cached[2]
    async with db.read_session() as session:
        answer = await read_catalog(session, company_name)
    _answers[db] = (version, company_name, answer)
    return answer


async def _latest_notice(session: AsyncSession, topic_key: str) -> Notice | None:
    return (
        await session.execute(
            select(Notice).where(Notice.topic_key == topic_key).order_by(Notice.version.desc()).limit(1)
        )
    ).scalar_one_or_none()


def _notice_read(n: Notice) -> NoticeRead:
    return NoticeRead(version=n.version, text=n.text, sha256=n.sha256, created_at=n.created_at)


def _topic_read(t: Topic, notice: Notice | None) -> TopicRead:
    return TopicRead(
        key=t.key,
        name=t.name,
        description=t.description,
        group=t.group_name,
        legal_basis=t.legal_basis,
        channels=list(t.channels),
        double_opt_in=t.double_opt_in,
        consent_lifetime_days=t.consent_lifetime_days,
        honour_gpc=t.honour_gpc,
        allow_when_channel_opted_out=t.allow_when_channel_opted_out,
        notice=_notice_read(notice) if notice else None,
    )
