"""The consent-check read path: projections in, ``SubjectState`` out, in bulk.

Every check answers from the projection tables (``subjects``, ``identities``, ``preferences``,
``consents``; plus ``erasure_suppressions`` when that table exists) and the pure
``core.decisions.decide``. Two readers fetch the same rows:

- ``SqliteProjectionReader``: a synchronous ``sqlite3`` connection per thread, opened read-only
  (``mode=ro``, ``PRAGMA query_only``) on the WAL database the writers use. One aiosqlite round trip
  costs about 1 ms here, a plain ``sqlite3`` lookup about 12 us, so this is what makes per-request
  checks cheap. WAL readers see every committed write at once: no cache to keep correct.
- ``EngineProjectionReader``: batched ``IN (...)`` queries through the async SQLAlchemy engine
  (PostgreSQL in production; it works on SQLite too and is used to cross-check the fast path).

Both hand back plain tuples; ``build_states`` is the one place that turns rows into ``SubjectState``.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from prefcenter.checks.pg_connections import PgConnections, asyncpg_dsn
from prefcenter.core.crypto import lookup_hash
from prefcenter.core.decisions import OPTED_OUT, ConsentState, SubjectState, TopicRule
from prefcenter.core.normalise import IDENTITY_KINDS, InvalidIdentity, normalise_identity
from prefcenter.errors import InvalidInput
from prefcenter.store.models import Channel, Consent, Identity, Meta, Preference, Subject, Topic

CHUNK = 2000  # ids per IN (...) query
SUPPRESSION_TABLE = "erasure_suppressions"
_json_list = msgspec.json.Decoder(list[str])
MAX_SUBJECT_CHARS = 400
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- subject references --------------------------------------------------------------------------------


class SubjectRef(NamedTuple):
    """How a caller named a subject: ``kind`` is ``id``, ``external_id`` or ``identity`` (key = lookup hash).

    A named tuple: built, hashed and compared in C (millions per campaign; a frozen dataclass cost ~1.5 us
    per reference in its generated ``__init__``/``__hash__``/``__eq__``)."""

    kind: str
    key: str


def parse_subject_ref(raw: str, pepper: bytes) -> SubjectRef:
    """``<uuid>`` or ``id:<uuid>``; ``external_id:<id>`` or ``ext:<id>``; ``<kind>:<value>`` (an identity);
    anything else is an external id.

    The text itself is checked here, for every path (single check, batch, stream, check workers), so a batch
    answers a bad subject with that item's own error: at most ``MAX_SUBJECT_CHARS`` characters, not blank,
    no control character (C0 or DEL; PostgreSQL cannot even compare text holding NUL)."""
    if len(raw) > MAX_SUBJECT_CHARS:
        raise InvalidInput(f"subject is longer than {MAX_SUBJECT_CHARS} characters")
    if not raw.isprintable() and _CONTROL.search(raw):  # isprintable: the usual subject in C, no regex
        raise InvalidInput("subject holds a control character")
    kind, sep, rest = raw.partition(":")
    if sep:
        if kind in IDENTITY_KINDS:
            try:
                value = normalise_identity(kind, rest)
            except InvalidIdentity as exc:
                raise InvalidInput(f"subject {kind} identity: {exc}") from None
            return SubjectRef("identity", lookup_hash(pepper, kind, value))
        if kind in ("external_id", "ext"):
            if not rest:
                raise InvalidInput("subject external_id is empty")
            return SubjectRef("external_id", rest)
        if kind == "id":
            return SubjectRef("id", _uuid(rest))
    if len(raw) == 36 and raw.count("-") == 4:
        try:
            return SubjectRef("id", str(uuid.UUID(raw)))
        except ValueError:
            pass
    if not raw.strip():
        raise InvalidInput("subject is empty")
    return SubjectRef("external_id", raw)


def _uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput("subject id:<id> must be a UUID") from None


# --- rows and states -----------------------------------------------------------------------------------

# subject row:  (id, erased, do_not_contact)
# pref row:     (subject_id, channel, topic, status)
# consent row:  (subject_id, id, topic, status, channels, notice_version, granted_at, expires_at)


@dataclass(frozen=True)
class CatalogSnapshot:
    version: str | None
    topics: dict[str, TopicRule]
    channels: frozenset[str]


@dataclass
class FetchedRows:
    subjects: dict[SubjectRef, tuple] = field(default_factory=dict)  # ref -> subject row
    preferences: list[tuple] = field(default_factory=list)
    consents: list[tuple] = field(default_factory=list)
    suppressed: set[str] = field(default_factory=set)  # identity lookup hashes on the erasure list


def _instant(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_states(
    subject_rows: Iterable[tuple], pref_rows: Iterable[tuple], consent_rows: Iterable[tuple]
) -> dict[str, SubjectState]:
    """The one place projection rows become ``SubjectState`` (both engines, every check kind)."""
    base = {row[0]: row for row in subject_rows}
    channel_outs: dict[str, set[str]] = {}
    topic_prefs: dict[str, dict[tuple[str, str], str]] = {}
    for subject_id, channel, topic, status in pref_rows:
        if topic == "*":
            if status == OPTED_OUT:
                channel_outs.setdefault(subject_id, set()).add(channel)
        else:
            topic_prefs.setdefault(subject_id, {})[(channel, topic)] = status
    consents: dict[str, dict[str, ConsentState]] = {}
    for subject_id, cid, topic, status, channels, notice_version, granted_at, expires_at in consent_rows:
        if isinstance(channels, str):
            channels = _json_list.decode(channels)
        consents.setdefault(subject_id, {})[topic] = ConsentState(
            cid, status, frozenset(channels), notice_version, _instant(granted_at), _instant(expires_at)
        )
    empty: dict = {}
    return {
        sid: SubjectState(
            sid,
            bool(erased),
            bool(dnc),
            frozenset(channel_outs.get(sid, ())),
            topic_prefs.get(sid, empty),
            consents.get(sid, empty),
        )
        for sid, erased, dnc in base.values()
    }


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _group(refs: Iterable[SubjectRef]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {"id": [], "external_id": [], "identity": []}
    for ref in refs:
        grouped[ref.kind].append(ref.key)
    return {k: sorted(set(v)) for k, v in grouped.items()}


class ProjectionReader(Protocol):
    async def catalog(self) -> CatalogSnapshot: ...

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows: ...

    async def single(
        self, ref: SubjectRef, channel: str, topic: str
    ) -> tuple[CatalogSnapshot, FetchedRows]: ...

    def close(self) -> None: ...


# --- SQLite: synchronous read-only connections ---------------------------------------------------------

# ``INDEXED BY``: the covering ix_subjects_check (migration 20261123_check_indexes) answers from the index alone;
# without planner statistics SQLite would pick the primary key's index and then read the table row.
_SQLITE_HINT = " INDEXED BY ix_subjects_check"
_SQL_BY_ID = (
    f"SELECT id, erased_at IS NOT NULL, do_not_contact, id FROM subjects{_SQLITE_HINT} WHERE id IN ({{}})"
)
_SQL_BY_EXTERNAL = (
    "SELECT id, erased_at IS NOT NULL, do_not_contact, external_id FROM subjects WHERE external_id IN ({})"
)
_SQL_BY_IDENTITY = (
    "SELECT s.id, s.erased_at IS NOT NULL, s.do_not_contact, i.lookup_hash FROM identities i "
    f"JOIN subjects s{_SQLITE_HINT} ON s.id = i.subject_id WHERE i.lookup_hash IN ({{}})"
)
_SQL_PREFS = "SELECT subject_id, channel, topic, status FROM preferences WHERE subject_id IN ({})"
_SQL_CONSENTS = (
    "SELECT subject_id, id, topic, status, channels, notice_version, granted_at, expires_at "
    "FROM consents WHERE is_current = 1 AND subject_id IN ({})"
)
_SQL_SUPPRESSED = f"SELECT lookup_hash FROM {SUPPRESSION_TABLE} WHERE lookup_hash IN ({{}})"


# One statement per single check: the subject (by the caller's reference), only the preference and consent
# rows that can change the answer for (channel, topic), and the catalog version, tagged by the first column.
# ``{hint}``: the SQLite index hint above; PostgreSQL has none.
_SINGLE_SUBJECT = {
    "id": "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects{hint} WHERE id = ?",
    "external_id": (
        "SELECT id, erased_at IS NOT NULL AS erased, do_not_contact AS dnc FROM subjects WHERE external_id = ?"
    ),
    "identity": (
        "SELECT s.id, s.erased_at IS NOT NULL AS erased, s.do_not_contact AS dnc FROM identities i "
        "JOIN subjects s{hint} ON s.id = i.subject_id WHERE i.lookup_hash = ?"
    ),
}
_SQL_SINGLE = (
    "WITH s AS ({}) "
    "SELECT 0, id, erased, dnc, NULL, NULL, NULL, NULL, NULL FROM s "
    "UNION ALL SELECT 1, subject_id, channel, topic, status, NULL, NULL, NULL, NULL FROM preferences "
    "WHERE subject_id IN (SELECT id FROM s) AND channel IN (?, '*') AND topic IN (?, '*') "
    "UNION ALL SELECT 2, subject_id, id, topic, status, channels, notice_version, granted_at, expires_at "
    "FROM consents WHERE is_current = 1 AND topic = ? AND subject_id IN (SELECT id FROM s) "
    "UNION ALL SELECT 3, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM meta WHERE key = 'catalog_version'"
)
_SQL_SINGLE_BY_KIND = {
    kind: _SQL_SINGLE.format(sql.format(hint=_SQLITE_HINT)) for kind, sql in _SINGLE_SUBJECT.items()
}
# PostgreSQL: the same statement with $n parameters; UNION ALL needs one type per column, so text.
_PG_SINGLE = (
    "WITH s AS ({}) "
    "SELECT 0, id, erased::text, dnc::text, NULL, NULL, NULL, NULL, NULL FROM s "
    "UNION ALL SELECT 1, subject_id, channel, topic, status, NULL, NULL, NULL, NULL FROM preferences "
    "WHERE subject_id IN (SELECT id FROM s) AND channel IN ($2, '*') AND topic IN ($3, '*') "
    "UNION ALL SELECT 2, subject_id, id, topic, status, channels::text, notice_version::text, "
    "granted_at::text, expires_at::text "
    "FROM consents WHERE is_current AND topic = $3 AND subject_id IN (SELECT id FROM s) "
    "UNION ALL SELECT 3, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM meta WHERE key = 'catalog_version'"
)
_PG_SINGLE_BY_KIND = {
    kind: _PG_SINGLE.format(sql.format(hint="").replace("?", "$1")) for kind, sql in _SINGLE_SUBJECT.items()
}


# PostgreSQL (asyncpg): one statement per chunk, array parameters, rows tagged by the first column like the
# single check. Columns keep their native types (one type per column across the UNION ALL):
# tag, sid, t1, t2, t3, channels, notice_version, granted_at, expires_at, erased, dnc.
_PG_CHUNK_SUBJECTS = (
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
_PG_CHUNK_SUPPRESSED = (
    " UNION ALL SELECT 3, NULL, lookup_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    f"FROM {SUPPRESSION_TABLE} WHERE lookup_hash = ANY($3::text[]) "
    "AND lookup_hash NOT IN (SELECT key FROM s WHERE kind = 2)"
)
_PG_KINDS = ("id", "external_id", "identity")


def _pg_chunk_sql(campaign: bool, suppressions: bool) -> str:
    sql = _PG_CHUNK_SUBJECTS.format(
        prefs=" AND channel IN ($4, '*') AND topic IN ($5, '*')" if campaign else "",
        consents=" AND topic = $5" if campaign else "",
    )
    return sql + _PG_CHUNK_SUPPRESSED if suppressions else sql


def _single_rows(ref: SubjectRef, rows: Iterable[tuple]) -> tuple[str | None, FetchedRows]:
    """Split the tagged rows of a single-check statement: (catalog version, rows as ``fetch`` gives them)."""
    out = FetchedRows()
    version = None
    for tag, *row in rows:
        if tag == 0:
            out.subjects[ref] = tuple(row[:3])
        elif tag == 1:
            out.preferences.append(tuple(row[:4]))
        elif tag == 2:
            out.consents.append(tuple(row))
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
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, cached_statements=256
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
        row = conn.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
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
        grouped = _group(refs)
        for kind, sql in (
            ("id", _SQL_BY_ID),
            ("external_id", _SQL_BY_EXTERNAL),
            ("identity", _SQL_BY_IDENTITY),
        ):
            keys = grouped[kind]
            subjects = out.subjects
            for chunk in _chunks(keys):
                for sid, erased, dnc, key in conn.execute(_in(sql, len(chunk)), chunk):
                    subjects[(kind, key)] = (
                        sid,
                        erased,
                        dnc,
                    )  # a plain tuple equals its SubjectRef, built in C
        ids = sorted({row[0] for row in out.subjects.values()})
        pref_sql, consent_sql, extra_p, extra_c = _SQL_PREFS, _SQL_CONSENTS, (), ()
        if channel is not None and topic is not None:
            # a campaign asks one question: only rows that can change its answer
            pref_sql += " AND channel IN (?, '*') AND topic IN (?, '*')"
            consent_sql += " AND topic = ?"
            extra_p, extra_c = (channel, topic), (topic,)
        for chunk in _chunks(ids):
            out.preferences.extend(conn.execute(_in(pref_sql, len(chunk)), (*chunk, *extra_p)))
            out.consents.extend(conn.execute(_in(consent_sql, len(chunk)), (*chunk, *extra_c)))
        missing = [k for k in grouped["identity"] if ("identity", k) not in out.subjects]
        if missing and self.has_suppressions(conn):
            for chunk in _chunks(missing):
                out.suppressed.update(r[0] for r in conn.execute(_in(_SQL_SUPPRESSED, len(chunk)), chunk))
        return out

    async def single(self, ref: SubjectRef, channel: str, topic: str) -> tuple[CatalogSnapshot, FetchedRows]:
        """One check, inline on the event loop: one statement (plus the suppression list for an unknown
        identity, and the catalog tables when its version moved)."""
        conn = self.connection()
        version, out = _single_rows(
            ref, conn.execute(_SQL_SINGLE_BY_KIND[ref.kind], (ref.key, channel, topic, topic))
        )
        cached = self._catalog
        catalog = cached if cached is not None and cached.version == version else self.catalog_sync()
        if not out.subjects and ref.kind == "identity" and self.has_suppressions(conn):
            out.suppressed.update(r[0] for r in conn.execute(_in(_SQL_SUPPRESSED, 1), (ref.key,)))
        return catalog, out

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        if len(refs) <= self.INLINE_LIMIT:
            return self.fetch_sync(refs, channel, topic)
        return await asyncio.to_thread(self.fetch_sync, refs, channel, topic)


# --- any engine: batched queries through SQLAlchemy ----------------------------------------------------


class EngineProjectionReader:
    """Batched ``IN (...)`` reads through the async engine: PostgreSQL's read path (portable SQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._catalog: CatalogSnapshot | None = None
        self._has_suppressions: bool | None = None
        # PostgreSQL: check statements go straight to asyncpg connections of their own (pg_connections.py)
        self._pg = PgConnections(asyncpg_dsn(engine.url)) if self._asyncpg else None

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()

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

    @property
    def _asyncpg(self) -> bool:
        return self.engine.dialect.name == "postgresql" and self.engine.dialect.driver == "asyncpg"

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        if self._asyncpg:
            return await self._fetch_asyncpg(refs, channel, topic)
        return await self._fetch_core(refs, channel, topic)

    async def _fetch_core(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows:
        """Portable: per chunk, one SQLAlchemy Core query per table."""
        out = FetchedRows()
        grouped = _group(refs)
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
                for chunk in _chunks(grouped[kind]):
                    for sid, erased, dnc, key in await conn.execute(query.where(key_col.in_(chunk))):
                        out.subjects[SubjectRef(kind, key)] = (sid, erased, dnc)
            ids = sorted({row[0] for row in out.subjects.values()})
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
            for chunk in _chunks(ids):
                out.preferences.extend(
                    tuple(r) for r in await conn.execute(prefs.where(Preference.subject_id.in_(chunk)))
                )
                out.consents.extend(
                    tuple(r) for r in await conn.execute(consents.where(Consent.subject_id.in_(chunk)))
                )
            missing = [k for k in grouped["identity"] if SubjectRef("identity", k) not in out.subjects]
            if missing and await self._suppressions_exist(conn):
                from sqlalchemy import column, table

                suppressions = table(SUPPRESSION_TABLE, column("lookup_hash"))
                for chunk in _chunks(missing):
                    rows = await conn.execute(
                        select(suppressions.c.lookup_hash).where(suppressions.c.lookup_hash.in_(chunk))
                    )
                    out.suppressed.update(rows.scalars())
        return out

    async def _fetch_asyncpg(
        self, refs: Sequence[SubjectRef], channel: str | None, topic: str | None
    ) -> FetchedRows:
        """PostgreSQL: one statement per chunk of 2,000 references (``= ANY($n::text[])``), prepared once
        per pooled connection by asyncpg's statement cache; only the rows ``build_states`` and the campaign
        memo read (for a campaign only the asked channel/topic), tagged by the first column."""
        out = FetchedRows()
        campaign = channel is not None and topic is not None
        extra = (channel, topic) if campaign else ()
        subjects, preferences, consents, suppressed = (
            out.subjects,
            out.preferences,
            out.consents,
            out.suppressed,
        )
        sql = _pg_chunk_sql(campaign, await self._suppressions_exist())
        for chunk in _chunks(refs):
            grouped = _group(chunk)
            rows = await self._pg.fetch(
                sql, grouped["id"], grouped["external_id"], grouped["identity"], *extra
            )
            for tag, sid, t1, t2, t3, channels, nv, granted_at, expires_at, erased, dnc in rows:
                if tag == 1:
                    preferences.append((sid, t1, t2, t3))
                elif tag == 2:
                    consents.append((sid, t1, t2, t3, channels, nv, granted_at, expires_at))
                elif tag == 0:
                    subjects[SubjectRef(_PG_KINDS[nv], t1)] = (sid, erased, dnc)
                else:
                    suppressed.add(t1)
        return out

    async def single(self, ref: SubjectRef, channel: str, topic: str) -> tuple[CatalogSnapshot, FetchedRows]:
        """One check. On PostgreSQL: one statement, one round trip, through asyncpg directly (its
        per-connection prepared-statement cache plans it once); elsewhere ``catalog`` + ``fetch``."""
        if not self._asyncpg:
            return await self.catalog(), await self.fetch([ref], channel, topic)
        rows = await self._pg.fetch(_PG_SINGLE_BY_KIND[ref.kind], ref.key, channel, topic)
        version, out = _single_rows(ref, rows)
        if out.subjects:
            sid, erased, dnc = out.subjects[ref]
            out.subjects[ref] = (sid, erased == "true", dnc == "true")
        out.consents = [(*row[:5], None if row[5] is None else int(row[5]), *row[6:]) for row in out.consents]
        cached = self._catalog
        refetch = (cached is None or cached.version != version) or (
            not out.subjects and ref.kind == "identity" and await self._suppressions_exist()
        )
        if refetch:
            rest = await self.fetch([ref], channel, topic) if not out.subjects else out
            return await self.catalog(), rest
        return cached, out

    async def _suppressions_exist(self, conn=None) -> bool:
        """Whether the erasure suppression table exists (through ``conn``, or an asyncpg connection)."""
        if not self._has_suppressions:  # re-checked until it appears (a later migration may add it)
            if conn is not None:
                self._has_suppressions = await conn.run_sync(
                    lambda sync: sync.dialect.has_table(sync, SUPPRESSION_TABLE)
                )
            else:
                rows = await self._pg.fetch("SELECT to_regclass($1) IS NOT NULL", SUPPRESSION_TABLE)
                self._has_suppressions = bool(rows[0][0])
        return self._has_suppressions


def reader_for(db) -> ProjectionReader:
    """The fastest reader for this database: sync ``sqlite3`` on a SQLite file, the engine otherwise."""
    path = db.sqlite_path
    if path is not None:
        return SqliteProjectionReader(str(path))
    return EngineProjectionReader(db.read_engine)
