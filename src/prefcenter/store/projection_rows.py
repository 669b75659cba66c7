"""What the projection readers hand back: named rows of the projection tables, one type per kind of row.

The readers (``projections_sqlite.py``, ``projections_postgres.py``, ``projections_engine.py``) read the
current-state tables (``subjects``, ``identities``, ``preferences``, ``consents``, the catalog, and
``erasure_suppressions`` when that table exists) for every hot read: consent checks (single, batch, stream,
worker processes, campaigns), the profile the widget and the API show, and the catalog version.

Check rows are named tuples built in C (``functools.partial(tuple.__new__, Row)`` over the driver's rows), so
a campaign of millions of rows pays nothing for the names. Their values are what the driver gives: on SQLite
``erased``/``do_not_contact`` are 0/1, ``channels`` is JSON text and instants are ISO text; the consumers
(``checks/states.py``, ``checks/campaign.py``) take both forms. Profile rows are converted to Python values
(aware UTC datetimes, bools, lists) by the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple, Protocol

from prefcenter.core.decisions import TopicRule

SUPPRESSION_TABLE = "erasure_suppressions"
CHUNK = 2000  # keys per IN (...) / ANY(...) query


class SubjectRef(NamedTuple):
    """How a caller named a subject: ``kind`` is ``id``, ``external_id`` or ``identity`` (key = lookup hash).

    A named tuple: built, hashed and compared in C (millions per campaign; a frozen dataclass cost ~1.5 us
    per reference in its generated ``__init__``/``__hash__``/``__eq__``)."""

    kind: str
    key: str


# --- consent-check rows ----------------------------------------------------------------------------------


class SubjectRow(NamedTuple):
    id: str
    erased: Any  # bool, or 0/1 on SQLite
    do_not_contact: Any  # bool, or 0/1 on SQLite


class PreferenceRow(NamedTuple):
    subject_id: str
    channel: str
    topic: str  # "*": the whole channel
    status: str


class ConsentRow(NamedTuple):
    """A current consent (``is_current``)."""

    subject_id: str
    id: str
    topic: str
    status: str
    channels: Any  # list[str], or JSON text on SQLite
    notice_version: int | None
    granted_at: Any  # datetime, or ISO text on SQLite
    expires_at: Any


as_subject_row = partial(tuple.__new__, SubjectRow)  # driver row -> named row, in C
as_preference_row = partial(tuple.__new__, PreferenceRow)
as_consent_row = partial(tuple.__new__, ConsentRow)


@dataclass(frozen=True)
class CatalogSnapshot:
    """The catalog as checks need it, at one ``meta.catalog_version``."""

    version: str | None
    topics: dict[str, TopicRule]
    channels: frozenset[str]


@dataclass
class FetchedRows:
    """The rows of one check read. ``subjects`` maps the caller's reference to its subject (a plain
    ``(kind, key)`` tuple equals its ``SubjectRef``)."""

    subjects: dict[SubjectRef, SubjectRow] = field(default_factory=dict)
    preferences: list[PreferenceRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)
    suppressed: set[str] = field(default_factory=set)  # identity lookup hashes on the erasure list


# --- profile rows ----------------------------------------------------------------------------------------


class ProfileSubjectRow(NamedTuple):
    id: str
    external_id: str | None
    created_at: datetime
    erased_at: datetime | None
    revision: int
    do_not_contact: bool
    preferred_channel: str | None
    language: str | None
    frequency: str | None


class SealedIdentityRow(NamedTuple):
    kind: str
    sealed_value: bytes
    added_at: datetime


class WrappedKeyRow(NamedTuple):
    master_key_id: str
    wrapped_key: bytes


class PreferenceStatusRow(NamedTuple):
    channel: str
    topic: str
    status: str
    updated_at: datetime


class ConsentRecordRow(NamedTuple):
    id: str
    topic: str
    channels: list[str]
    status: str
    notice_version: int | None
    method: str
    touchpoint: str
    granted_at: datetime
    confirmed_at: datetime | None
    expires_at: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class ProfileRows:
    """One subject's profile, read in one snapshot: identities by ``added_at``, preferences by (channel,
    topic), current consents by topic; ``key`` is None once the subject's data key was shredded;
    ``catalog_version`` is ``meta.catalog_version`` in the same snapshot (None before the first catalog
    change)."""

    subject: ProfileSubjectRow
    key: WrappedKeyRow | None
    identities: list[SealedIdentityRow]
    preferences: list[PreferenceStatusRow]
    consents: list[ConsentRecordRow]
    catalog_version: str | None

    def with_changes(
        self, subject: dict[str, Any], preferences: dict[tuple[str, str], str], at: datetime
    ) -> ProfileRows:
        """These rows with a write's changes applied: ``subject`` columns (the revision among them) and
        (channel, topic) -> status preferences, stored at ``at`` (a one-statement save's answer)."""
        stored = {(p.channel, p.topic): p for p in self.preferences}
        for (channel, topic), status in preferences.items():
            stored[channel, topic] = PreferenceStatusRow(channel, topic, status, at)
        columns = {k: v for k, v in subject.items() if k in ProfileSubjectRow._fields}
        return replace(self, subject=self.subject._replace(**columns), preferences=sorted(stored.values()))


def utc_instant(value) -> datetime | None:
    """A stored instant as an aware UTC datetime (SQLite stores naive UTC text)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ProjectionReader(Protocol):
    """What every reader offers; SQLite's adds synchronous twins (``catalog_sync``, ``fetch_sync``) for
    worker processes and threads."""

    async def catalog(self) -> CatalogSnapshot: ...

    async def catalog_version(self) -> str | None: ...

    async def fetch(
        self, refs: Sequence[SubjectRef], channel: str | None = None, topic: str | None = None
    ) -> FetchedRows: ...

    async def single(
        self, ref: SubjectRef, channel: str, topic: str
    ) -> tuple[CatalogSnapshot, FetchedRows]: ...

    async def profile(self, subject_id: str) -> ProfileRows | None: ...

    def close(self) -> None: ...


def chunks(values: Sequence, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def grouped_keys(refs) -> dict[str, list[str]]:
    """The references' keys by kind, each sorted and without repeats."""
    grouped: dict[str, list[str]] = {"id": [], "external_id": [], "identity": []}
    for ref in refs:
        grouped[ref.kind].append(ref.key)
    return {k: sorted(set(v)) for k, v in grouped.items()}
