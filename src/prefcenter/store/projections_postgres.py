"""The PostgreSQL projection reader: statements straight on asyncpg connections of its own
(``pg_connections.py``), one round trip per single check, per profile and per chunk of 2,000 references."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from prefcenter.core.decisions import TopicRule
from prefcenter.store.pg_connections import PgConnections
from prefcenter.store.profile_reads import POSTGRES_PROFILE, postgres_profile_rows
from prefcenter.store.projection_rows import (
    SUPPRESSION_TABLE,
    CatalogSnapshot,
    ConsentRow,
    FetchedRows,
    PreferenceRow,
    ProfileRows,
    SubjectRef,
    SubjectRow,
    chunks,
    grouped_keys,
)
from prefcenter.store.projections_sqlite import single_check_rows

_json_list = msgspec.json.Decoder(list[str])
_CATALOG_VERSION = "SELECT value FROM meta WHERE key = 'catalog_version'"

_SINGLE_SUBJECT = {
    "id": "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects WHERE id = $1",
    "external_id": (
        "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects WHERE external_id = $1"
    ),
    "identity": (
        "SELECT s.id, s.erased_at IS NOT NULL AS erased, s.do_not_contact AS dnc FROM identities i "
        "JOIN subjects s ON s.id = i.subject_id WHERE i.lookup_hash = $1"
    ),
}
# The single check of projections_sqlite.py with $n parameters; UNION ALL needs one type per column, so text.
_SINGLE = (
    "WITH s AS ({}) "
    "SELECT 0, id, erased::text, dnc::text, NULL, NULL, NULL, NULL, NULL FROM s "
    "UNION ALL SELECT 1, subject_id, channel, topic, status, NULL, NULL, NULL, NULL FROM preferences "
    "WHERE subject_id IN (SELECT id FROM s) AND channel IN ($2, '*') AND topic IN ($3, '*') "
    "UNION ALL SELECT 2, subject_id, id, topic, status, channels::text, notice_version::text, "
    "granted_at::text, expires_at::text "
    "FROM consents WHERE is_current AND topic = $3 AND subject_id IN (SELECT id FROM s) "
    "UNION ALL SELECT 3, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM meta WHERE key = 'catalog_version'"
)
_SINGLE_BY_KIND = {kind: _SINGLE.format(sql) for kind, sql in _SINGLE_SUBJECT.items()}

# One statement per chunk, array parameters, rows tagged by the first column like the single check. Columns
# keep their native types (one type per column across the UNION ALL):
# tag, sid, t1, t2, t3, channels, notice_version, granted_at, expires_at, erased, dnc.
_CHUNK_SUBJECTS = (
    "WITH s AS ("
    "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc, 0 AS kind, id AS key "
    "FROM subjects WHERE id = ANY($1::text[]) "
    "UNION ALL SELECT id, erased_at IS NOT NULL, do_not_contact, 1, external_id "
    "FROM subjects WHERE external_id = ANY($2::text[]) "
    "UNION ALL SELECT s.id, s.erased_at IS NOT NULL, s.do_not_contact, 2, i.lookup_hash "
    "FROM identities i JOIN subjects s ON s.id = i.subject_id WHERE i.lookup_hash = ANY($3::text[])) "
    "SELECT 0 AS tag, id::text AS sid, key::text AS t1, NULL::text AS t2, NULL::text AS t3, "
    "NULL::text AS channels, kind AS nv, NULL::timestamptz AS granted_at, NULL::timestamptz AS expires_at, "
    "erased, dnc FROM s "
    "UNION ALL SELECT 1, subject_id, channel, topic, status, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM preferences WHERE subject_id IN (SELECT id FROM s){prefs} "
    "UNION ALL SELECT 2, subject_id, id, topic, status, channels::text, notice_version, granted_at, "
    "expires_at, NULL, NULL FROM consents WHERE is_current AND subject_id IN (SELECT id FROM s){consents}"
)
_CHUNK_SUPPRESSED = (
    " UNION ALL SELECT 3, NULL, lookup_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    f"FROM {SUPPRESSION_TABLE} WHERE lookup_hash = ANY($3::text[]) "
    "AND lookup_hash NOT IN (SELECT key FROM s WHERE kind = 2)"
)
_KINDS = ("id", "external_id", "identity")


def _chunk_sql(campaign: bool, suppressions: bool) -> str:
    sql = _CHUNK_SUBJECTS.format(
        prefs=" AND channel IN ($4, '*') AND topic IN ($5, '*')" if campaign else "",
        consents=" AND topic = $5" if campaign else "",
    )
    return sql + _CHUNK_SUPPRESSED if suppressions else sql


class PostgresProjectionReader:
    """Projection reads on PostgreSQL through asyncpg directly (per-connection prepared statements)."""

    def __init__(self, dsn: str, connections: int = 10) -> None:
        self._pg = PgConnections(dsn, connections)
        self._catalog: CatalogSnapshot | None = None
        self._has_suppressions: bool | None = None

    def close(self) -> None:
        self._pg.close()

    async def catalog_version(self) -> str | None:
        rows = await self._pg.fetch(_CATALOG_VERSION)
        return rows[0][0] if rows else None

    async def catalog(self) -> CatalogSnapshot:
        version = await self.catalog_version()
        cached = self._catalog
        if cached is not None and cached.version == version:
            return cached
        return await self._read_catalog()

    async def _read_catalog(self) -> CatalogSnapshot:
        rows = await self._pg.fetch(
            "SELECT (SELECT value FROM meta WHERE key = 'catalog_version'), "
            "ARRAY(SELECT (key, legal_basis, channels::text, allow_when_channel_opted_out) FROM topics), "
            "ARRAY(SELECT key FROM channels)"
        )
        version, topics, channels = rows[0]
        self._catalog = CatalogSnapshot(
            version,
            {
                key: TopicRule(key, basis, frozenset(_json_list.decode(on)), bool(allow))
                for key, basis, on, allow in topics
            },
            frozenset(channels),
        )
        return self._catalog

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        """One statement per chunk of 2,000 references (``= ANY($n::text[])``); only the rows the checks read
        (for a campaign only the asked channel/topic), tagged by the first column."""
        out = FetchedRows()
        campaign = channel is not None and topic is not None
        extra = (channel, topic) if campaign else ()
        subjects, preferences, consents, suppressed = (
            out.subjects,
            out.preferences,
            out.consents,
            out.suppressed,
        )
        sql = _chunk_sql(campaign, await self._suppressions_exist())
        for chunk in chunks(refs):
            grouped = grouped_keys(chunk)
            rows = await self._pg.fetch(
                sql, grouped["id"], grouped["external_id"], grouped["identity"], *extra
            )
            for tag, sid, t1, t2, t3, channels, nv, granted_at, expires_at, erased, dnc in rows:
                if tag == 1:
                    preferences.append(PreferenceRow(sid, t1, t2, t3))
                elif tag == 2:
                    consents.append(ConsentRow(sid, t1, t2, t3, channels, nv, granted_at, expires_at))
                elif tag == 0:
                    subjects[SubjectRef(_KINDS[nv], t1)] = SubjectRow(sid, erased, dnc)
                else:
                    suppressed.add(t1)
        return out

    async def single(self, ref: SubjectRef, channel: str, topic: str) -> tuple[CatalogSnapshot, FetchedRows]:
        """One check: one statement, one round trip."""
        rows = await self._pg.fetch(_SINGLE_BY_KIND[ref.kind], ref.key, channel, topic)
        version, out = single_check_rows(ref, rows)
        if out.subjects:
            sid, erased, dnc = out.subjects[ref]
            out.subjects[ref] = SubjectRow(sid, erased == "true", dnc == "true")
        out.consents = [
            row._replace(notice_version=None if row.notice_version is None else int(row.notice_version))
            for row in out.consents
        ]
        cached = self._catalog
        if not out.subjects and ref.kind == "identity" and await self._suppressions_exist():
            out = await self.fetch([ref], channel, topic)
        if cached is None or cached.version != version:
            cached = await self._read_catalog()
        return cached, out

    async def profile(self, subject_id: str) -> ProfileRows | None:
        """One subject's profile: one statement, one snapshot."""
        rows = await self._pg.fetch(POSTGRES_PROFILE, subject_id)
        return postgres_profile_rows(rows[0] if rows else None)

    async def _suppressions_exist(self) -> bool:
        if not self._has_suppressions:  # re-checked until it appears (a later migration may add it)
            rows = await self._pg.fetch("SELECT to_regclass($1) IS NOT NULL", SUPPRESSION_TABLE)
            self._has_suppressions = bool(rows[0][0])
        return self._has_suppressions
