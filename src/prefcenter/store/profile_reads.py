"""The profile read (subject, settings, identities, data key, preferences, current consents), written once
per dialect and run by a projection reader (committed state, no session) or on a transaction's own driver
connection (``store/write_statements.py``: a write request that answers with the profile it just changed,
before or with its commit).

SQLite: five small statements inside one read transaction (one snapshot). PostgreSQL: one statement, the
lists as arrays of anonymous records (asyncpg decodes them as tuples): one round trip, one snapshot. Both read
``meta.catalog_version`` beside the subject (a scalar subquery), so the preference center answer finds its
kept catalog without a statement (on PostgreSQL a round trip) of its own.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from prefcenter.store.projection_rows import (
    ConsentRecordRow,
    PreferenceStatusRow,
    ProfileRows,
    ProfileSubjectRow,
    SealedIdentityRow,
    WrappedKeyRow,
    utc_instant,
)

_json_list = msgspec.json.Decoder(list[str])
_CATALOG_VERSION = "(SELECT value FROM meta WHERE key = 'catalog_version')"

SQLITE_PROFILE = (
    "SELECT id, external_id, created_at, erased_at, revision, do_not_contact, preferred_channel, language, "
    f"frequency, {_CATALOG_VERSION} FROM subjects WHERE id = ?",
    "SELECT master_key_id, wrapped_key FROM subject_keys WHERE subject_id = ?",
    "SELECT kind, sealed_value, added_at FROM identities WHERE subject_id = ? ORDER BY added_at",
    "SELECT channel, topic, status, updated_at FROM preferences WHERE subject_id = ? ORDER BY channel, topic",
    "SELECT id, topic, channels, status, notice_version, method, touchpoint, granted_at, confirmed_at, "
    "expires_at, withdrawn_at FROM consents WHERE subject_id = ? AND is_current = 1 ORDER BY topic",
)

POSTGRES_PROFILE = (
    "SELECT s.id, s.external_id, s.created_at, s.erased_at, s.revision, s.do_not_contact, "
    f"s.preferred_channel, s.language, s.frequency, {_CATALOG_VERSION}, "
    "(SELECT (k.master_key_id, k.wrapped_key) FROM subject_keys k WHERE k.subject_id = s.id), "
    "ARRAY(SELECT (i.kind, i.sealed_value, i.added_at) FROM identities i WHERE i.subject_id = s.id "
    "ORDER BY i.added_at), "
    "ARRAY(SELECT (p.channel, p.topic, p.status, p.updated_at) FROM preferences p WHERE p.subject_id = s.id "
    "ORDER BY p.channel, p.topic), "
    "ARRAY(SELECT (c.id, c.topic, c.channels::text, c.status, c.notice_version, c.method, c.touchpoint, "
    "c.granted_at, c.confirmed_at, c.expires_at, c.withdrawn_at) FROM consents c "
    "WHERE c.subject_id = s.id AND c.is_current ORDER BY c.topic) "
    "FROM subjects s WHERE s.id = $1"
)


def _consent(row) -> ConsentRecordRow:
    cid, topic, channels, status, nv, method, touchpoint, granted, confirmed, expires, withdrawn = row
    return ConsentRecordRow(
        cid,
        topic,
        _json_list.decode(channels) if isinstance(channels, str | bytes) else list(channels),
        status,
        nv,
        method,
        touchpoint,
        utc_instant(granted),
        utc_instant(confirmed),
        utc_instant(expires),
        utc_instant(withdrawn),
    )


def profile_rows(subject, key, identities, preferences, consents) -> ProfileRows:
    """Driver rows (either dialect) as ``ProfileRows``."""
    sid, external_id, created, erased, revision, dnc, preferred, language, frequency, catalog_version = (
        subject
    )
    return ProfileRows(
        subject=ProfileSubjectRow(
            sid,
            external_id,
            utc_instant(created),
            utc_instant(erased),
            revision,
            bool(dnc),
            preferred,
            language,
            frequency,
        ),
        key=WrappedKeyRow(*key) if key is not None else None,
        identities=[
            SealedIdentityRow(kind, bytes(sealed), utc_instant(at)) for kind, sealed, at in identities
        ],
        # by (channel, topic) as Python orders them, whatever the database's collation (a save's answer, made
        # from what it wrote, orders them so too: ``ProfileRows.with_changes``)
        preferences=sorted(PreferenceStatusRow(c, t, s, utc_instant(at)) for c, t, s, at in preferences),
        consents=[_consent(row) for row in consents],
        catalog_version=catalog_version,
    )


def postgres_profile_rows(row) -> ProfileRows | None:
    """The one row of ``POSTGRES_PROFILE`` (None: no such subject) as ``ProfileRows``."""
    if row is None:
        return None
    return profile_rows(row[:10], row[10], row[11], row[12], row[13])


async def profile_on_connection(conn: AsyncConnection, subject_id: str) -> ProfileRows | None:
    """The profile through an SQLAlchemy connection (inside the caller's transaction)."""
    if conn.dialect.name == "postgresql":
        return postgres_profile_rows((await conn.exec_driver_sql(POSTGRES_PROFILE, (subject_id,))).first())
    results = [(await conn.exec_driver_sql(sql, (subject_id,))).all() for sql in SQLITE_PROFILE]
    subject, key, identities, preferences, consents = results
    if not subject:
        return None
    return profile_rows(subject[0], key[0] if key else None, identities, preferences, consents)
