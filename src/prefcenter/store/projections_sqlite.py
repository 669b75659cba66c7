"""The SQLite projection reader: synchronous ``sqlite3`` connections on the WAL database the writers use.

One connection per thread, opened read-only (``mode=ro``, ``PRAGMA query_only``). One aiosqlite round trip
cost about 1 ms on the reference machine, a plain ``sqlite3`` lookup about 12 us, so this is what makes
per-request checks and profile reads cheap; small reads run inline on the event loop, bulk reads in a worker
thread. WAL readers see every committed write at once: no cache to keep correct (the catalog snapshot is
re-read when ``meta.catalog_version`` moved).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterable, Sequence

import msgspec

from prefcenter.core.decisions import TopicRule
from prefcenter.store.profile_reads import SQLITE_PROFILE, profile_rows
from prefcenter.store.projection_rows import (
    SUPPRESSION_TABLE,
    CatalogSnapshot,
    FetchedRows,
    ProfileRows,
    SubjectRef,
    as_consent_row,
    as_preference_row,
    as_subject_row,
    chunks,
    grouped_keys,
)

_json_list = msgspec.json.Decoder(list[str])

# ``INDEXED BY``: the covering ix_subjects_check (migration 20261123_check_indexes) answers from the index alone;
# without planner statistics SQLite would pick the primary key's index and then read the table row.
_HINT = " INDEXED BY ix_subjects_check"
_SUBJECTS_BY_KIND = (
    ("id", f"SELECT id, erased_at IS NOT NULL, do_not_contact, id FROM subjects{_HINT} WHERE id IN ({{}})"),
    (
        "external_id",
        "SELECT id, erased_at IS NOT NULL, do_not_contact, external_id FROM subjects WHERE external_id IN ({})",
    ),
    (
        "identity",
        "SELECT s.id, s.erased_at IS NOT NULL, s.do_not_contact, i.lookup_hash FROM identities i "
        f"JOIN subjects s{_HINT} ON s.id = i.subject_id WHERE i.lookup_hash IN ({{}})",
    ),
)
_PREFERENCES = "SELECT subject_id, channel, topic, status FROM preferences WHERE subject_id IN ({})"
_CONSENTS = (
    "SELECT subject_id, id, topic, status, channels, notice_version, granted_at, expires_at "
    "FROM consents WHERE is_current = 1 AND subject_id IN ({})"
)
_SUPPRESSED = f"SELECT lookup_hash FROM {SUPPRESSION_TABLE} WHERE lookup_hash IN ({{}})"
_CATALOG_VERSION = "SELECT value FROM meta WHERE key = 'catalog_version'"

# One statement per single check: the subject (by the caller's reference), only the preference and consent
# rows that can change the answer for (channel, topic), and the catalog version, tagged by the first column.
_SINGLE_SUBJECT = {
    "id": f"SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects{_HINT} WHERE id = ?",
    "external_id": (
        "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects WHERE external_id = ?"
    ),
    "identity": (
        "SELECT s.id, s.erased_at IS NOT NULL AS erased, s.do_not_contact AS dnc FROM identities i "
        f"JOIN subjects s{_HINT} ON s.id = i.subject_id WHERE i.lookup_hash = ?"
    ),
}
_SINGLE = (
    "WITH s AS ({}) "
    "SELECT 0, id, erased, dnc, NULL, NULL, NULL, NULL, NULL FROM s "
    "UNION ALL SELECT 1, subject_id, channel, topic, status, NULL, NULL, NULL, NULL FROM preferences "
    "WHERE subject_id IN (SELECT id FROM s) AND channel IN (?, '*') AND topic IN (?, '*') "
    "UNION ALL SELECT 2, subject_id, id, topic, status, channels, notice_version, granted_at, expires_at "
    "FROM consents WHERE is_current = 1 AND topic = ? AND subject_id IN (SELECT id FROM s) "
    "UNION ALL SELECT 3, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM meta WHERE key = 'catalog_version'"
)
_SINGLE_BY_KIND = {kind: _SINGLE.format(sql) for kind, sql in _SINGLE_SUBJECT.items()}


def single_check_rows(ref: SubjectRef, rows: Iterable[tuple]) -> tuple[str | None, FetchedRows]:
    """Split the tagged rows of a single-check statement (either dialect): (catalog version, rows)."""
    out = FetchedRows()
    version = None
    for tag, *row in rows:
        if tag == 0:
            out.subjects[ref] = as_subject_row(row[:3])
        elif tag == 1:
            out.preferences.append(as_preference_row(row[:4]))
        elif tag == 2:
            out.consents.append(as_consent_row(row))
        else:
            version = row[0]
    return version, out


def _in(sql: str, n: int) -> str:
    return sql.format(",".join("?" * n))


class SqliteProjectionReader:
    """Read-only ``sqlite3`` connections, one per thread; small fetches run inline on the event loop."""

    INLINE_LIMIT = 64  # refs; bigger fetches run in a worker thread so the loop keeps serving

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._catalog: CatalogSnapshot | None = None
        self._has_suppressions: bool | None = None

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro",
                uri=True,
                check_same_thread=False,
                cached_statements=256,
                isolation_level=None,  # autocommit; the profile read opens its own read transaction
            )
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA busy_timeout = 5000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # catalog: re-read only when meta.catalog_version moved (one indexed lookup per call)
    def catalog_sync(self) -> CatalogSnapshot:
        conn = self.connection()
        row = conn.execute(_CATALOG_VERSION).fetchone()
        version = row[0] if row else None
        cached = self._catalog
        if cached is not None and cached.version == version:
            return cached
        topics = {
            key: TopicRule(key, basis, frozenset(_json_list.decode(channels)), bool(allow))
            for key, basis, channels, allow in conn.execute(
                "SELECT key, legal_basis, channels, allow_when_channel_opted_out FROM topics"
            )
        }
        channels = frozenset(r[0] for r in conn.execute("SELECT key FROM channels"))
        self._catalog = CatalogSnapshot(version, topics, channels)
        return self._catalog

    async def catalog(self) -> CatalogSnapshot:
        return self.catalog_sync()

    async def catalog_version(self) -> str | None:
        row = self.connection().execute(_CATALOG_VERSION).fetchone()
        return row[0] if row else None

    def has_suppressions(self, conn: sqlite3.Connection) -> bool:
        if not self._has_suppressions:  # re-checked until it appears (a later migration may add it)
            self._has_suppressions = (
                conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (SUPPRESSION_TABLE,)
                ).fetchone()
                is not None
            )
        return self._has_suppressions

    def fetch_sync(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        conn = self.connection()
        out = FetchedRows()
        grouped = grouped_keys(refs)
        subjects = out.subjects
        for kind, sql in _SUBJECTS_BY_KIND:
            for chunk in chunks(grouped[kind]):
                for row in conn.execute(_in(sql, len(chunk)), chunk):  # (id, erased, dnc, key)
                    subjects[(kind, row[3])] = as_subject_row(row[:3])  # a plain tuple equals its SubjectRef
        ids = sorted({row[0] for row in subjects.values()})
        pref_sql, consent_sql, extra_p, extra_c = _PREFERENCES, _CONSENTS, (), ()
        if channel is not None and topic is not None:
            # a campaign asks one question: only rows that can change its answer
            pref_sql += " AND channel IN (?, '*') AND topic IN (?, '*')"
            consent_sql += " AND topic = ?"
            extra_p, extra_c = (channel, topic), (topic,)
        for chunk in chunks(ids):
            out.preferences.extend(
                map(as_preference_row, conn.execute(_in(pref_sql, len(chunk)), (*chunk, *extra_p)))
            )
            out.consents.extend(
                map(as_consent_row, conn.execute(_in(consent_sql, len(chunk)), (*chunk, *extra_c)))
            )
        missing = [k for k in grouped["identity"] if ("identity", k) not in subjects]
        if missing and self.has_suppressions(conn):
            for chunk in chunks(missing):
                out.suppressed.update(r[0] for r in conn.execute(_in(_SUPPRESSED, len(chunk)), chunk))
        return out

    async def single(self, ref: SubjectRef, channel: str, topic: str) -> tuple[CatalogSnapshot, FetchedRows]:
        """One check, inline on the event loop: one statement (plus the suppression list for an unknown
        identity, and the catalog tables when its version moved)."""
        conn = self.connection()
        version, out = single_check_rows(
            ref, conn.execute(_SINGLE_BY_KIND[ref.kind], (ref.key, channel, topic, topic))
        )
        cached = self._catalog
        catalog = cached if cached is not None and cached.version == version else self.catalog_sync()
        if not out.subjects and ref.kind == "identity" and self.has_suppressions(conn):
            out.suppressed.update(r[0] for r in conn.execute(_in(_SUPPRESSED, 1), (ref.key,)))
        return catalog, out

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        if len(refs) <= self.INLINE_LIMIT:
            return self.fetch_sync(refs, channel, topic)
        return await asyncio.to_thread(self.fetch_sync, refs, channel, topic)

    async def profile(self, subject_id: str) -> ProfileRows | None:
        """One subject's profile, inline on the event loop, in one read transaction (one snapshot)."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            subject_sql, key_sql, identities_sql, preferences_sql, consents_sql = SQLITE_PROFILE
            subject = conn.execute(subject_sql, (subject_id,)).fetchone()
            if subject is None:
                return None
            key = conn.execute(key_sql, (subject_id,)).fetchone()
            identities = conn.execute(identities_sql, (subject_id,)).fetchall()
            preferences = conn.execute(preferences_sql, (subject_id,)).fetchall()
            consents = conn.execute(consents_sql, (subject_id,)).fetchall()
        finally:
            conn.execute("COMMIT")
        return profile_rows(subject, key, identities, preferences, consents)
