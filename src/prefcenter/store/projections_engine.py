"""The portable projection reader: SQLAlchemy Core through the async engine.

Used where neither lean reader applies (an in-memory SQLite database, a driver other than asyncpg), and as
the reference the PostgreSQL reader is tested against (tests/checks/test_pg_chunk_read.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

from prefcenter.core.decisions import TopicRule
from prefcenter.store.models import Channel, Consent, Identity, Meta, Preference, Subject, Topic
from prefcenter.store.profile_reads import profile_on_connection
from prefcenter.store.projection_rows import (
    SUPPRESSION_TABLE,
    CatalogSnapshot,
    FetchedRows,
    ProfileRows,
    SubjectRef,
    SubjectRow,
    as_consent_row,
    as_preference_row,
    chunks,
    grouped_keys,
)

_suppressions = table(SUPPRESSION_TABLE, column("lookup_hash"))


class EngineProjectionReader:
    """Batched ``IN (...)`` reads through the async engine (portable SQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._catalog: CatalogSnapshot | None = None
        self._has_suppressions: bool | None = None

    def close(self) -> None:
        pass  # the engine belongs to its Database

    async def catalog_version(self) -> str | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(Meta.value).where(Meta.key == "catalog_version"))).scalar()

    async def catalog(self) -> CatalogSnapshot:
        async with self.engine.connect() as conn:
            version = (await conn.execute(select(Meta.value).where(Meta.key == "catalog_version"))).scalar()
            cached = self._catalog
            if cached is not None and cached.version == version:
                return cached
            topics = {
                key: TopicRule(key, basis, frozenset(channels), bool(allow))
                for key, basis, channels, allow in await conn.execute(
                    select(Topic.key, Topic.legal_basis, Topic.channels, Topic.allow_when_channel_opted_out)
                )
            }
            channels = frozenset((await conn.execute(select(Channel.key))).scalars())
        self._catalog = CatalogSnapshot(version, topics, channels)
        return self._catalog

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        """Per chunk, one SQLAlchemy Core query per table."""
        out = FetchedRows()
        grouped = grouped_keys(refs)
        base = (Subject.id, Subject.erased_at.is_not(None), Subject.do_not_contact)
        async with self.engine.connect() as conn:
            for kind, key_col, query in (
                ("id", Subject.id, select(*base, Subject.id)),
                ("external_id", Subject.external_id, select(*base, Subject.external_id)),
                (
                    "identity",
                    Identity.lookup_hash,
                    select(*base, Identity.lookup_hash).join(Identity, Identity.subject_id == Subject.id),
                ),
            ):
                for chunk in chunks(grouped[kind]):
                    for sid, erased, dnc, key in await conn.execute(query.where(key_col.in_(chunk))):
                        out.subjects[SubjectRef(kind, key)] = SubjectRow(sid, erased, dnc)
            ids = sorted({row.id for row in out.subjects.values()})
            prefs = select(Preference.subject_id, Preference.channel, Preference.topic, Preference.status)
            consents = select(
                Consent.subject_id,
                Consent.id,
                Consent.topic,
                Consent.status,
                Consent.channels,
                Consent.notice_version,
                Consent.granted_at,
                Consent.expires_at,
            ).where(Consent.is_current.is_(True))
            if channel is not None and topic is not None:
                prefs = prefs.where(
                    Preference.channel.in_((channel, "*")), Preference.topic.in_((topic, "*"))
                )
                consents = consents.where(Consent.topic == topic)
            for chunk in chunks(ids):
                out.preferences.extend(
                    map(as_preference_row, await conn.execute(prefs.where(Preference.subject_id.in_(chunk))))
                )
                out.consents.extend(
                    map(as_consent_row, await conn.execute(consents.where(Consent.subject_id.in_(chunk))))
                )
            missing = [k for k in grouped["identity"] if SubjectRef("identity", k) not in out.subjects]
            if missing and await self._suppressions_exist(conn):
                for chunk in chunks(missing):
                    rows = await conn.execute(
                        select(_suppressions.c.lookup_hash).where(_suppressions.c.lookup_hash.in_(chunk))
                    )
                    out.suppressed.update(rows.scalars())
        return out

    async def single(self, ref: SubjectRef, channel: str, topic: str) -> tuple[CatalogSnapshot, FetchedRows]:
        return await self.catalog(), await self.fetch([ref], channel, topic)

    async def profile(self, subject_id: str) -> ProfileRows | None:
        async with self.engine.connect() as conn, conn.begin():
            return await profile_on_connection(conn, subject_id)

    async def _suppressions_exist(self, conn) -> bool:
        if not self._has_suppressions:  # re-checked until it appears (a later migration may add it)
            self._has_suppressions = await conn.run_sync(
                lambda sync: sync.dialect.has_table(sync, SUPPRESSION_TABLE)
            )
        return self._has_suppressions
