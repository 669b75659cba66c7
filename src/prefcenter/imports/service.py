"""Bulk import: chunks of rows, each chunk one transaction (projections + audit events + ledger).

- Streaming: rows are read lazily and handled ``CHUNK`` at a time.
- Atomic per chunk: a chunk's subjects, identities, preferences, consents, its ``import.row`` events and
  its ``import_rows`` ledger entries commit together, so a crash leaves whole chunks or nothing of one.
- Idempotent: a row whose key (SHA-256 of its canonical content) is in ``import_rows`` is skipped, so
  re-running a file (after a crash, or by mistake) imports each row exactly once.
- Audited: one ``import.row`` event per row, touchpoint ``import``, actor ``system``; the original
  touchpoint, method and timestamps of each consent are kept in the consent record and the event.
- Rejected rows (bad shape, unknown channel/topic, identities of erased people, conflicts) are reported
  with their line number and reason, and never partly applied.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select, update

from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.core.decisions import consent_expiry
from prefcenter.core.normalise import InvalidIdentity, normalise_identity
from prefcenter.imports.schemas import ImportRecord
from prefcenter.imports.source import RowError, row_key
from prefcenter.store.models import (
    Channel,
    Consent,
    Identity,
    Notice,
    Preference,
    Subject,
    SubjectKey,
    Topic,
)
from prefcenter.store.models_checks import ImportedRow
from prefcenter.store.models_dsr import ErasureSuppression
from prefcenter.store.unit_of_work import SYSTEM, NewEvent, UnitOfWork, format_instant

CHUNK = 5000
_YIELD_EVERY = 200  # rows parsed between turns of the chunk being written


class _TimeOrderedIds:
    """RFC 9562 version-7 UUIDs (48-bit Unix milliseconds, a 12-bit counter, 62 random bits), increasing
    within the process. Imported subjects, identities and consents get these instead of uuid4 so that the
    primary keys and the ``subject_id`` indexes of the bulk inserts grow at their right edge rather than
    dirtying a random page per row (which is what makes big imports slow on either engine)."""

    def __init__(self) -> None:
        self._ms = 0
        self._seq = 0
        self._pool = b""
        self._at = 0

    def __call__(self) -> str:
        ms = time.time_ns() // 1_000_000
        if ms > self._ms:
            self._ms, self._seq = ms, 0
        else:
            self._seq += 1
            if self._seq > 0xFFF:
                self._ms, self._seq = self._ms + 1, 0
        if self._at >= len(self._pool):
            self._pool, self._at = os.urandom(8 * 1024), 0
        rand = int.from_bytes(self._pool[self._at : self._at + 8]) & ((1 << 62) - 1)
        self._at += 8
        return str(uuid.UUID(int=(self._ms << 80) | (7 << 76) | (self._seq << 64) | (2 << 62) | rand))


_new_id = _TimeOrderedIds()


class Rejected(Exception):
    pass


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0  # imported by an earlier run
    rejected: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Catalog:
    channels: set[str]
    topics: dict[str, Topic]
    latest_notice: dict[str, int]
    notices: set[tuple[str, int]]


async def _catalog(uow: UnitOfWork) -> _Catalog:
    s = uow.session
    notices = {(t, v) for t, v in await s.execute(select(Notice.topic_key, Notice.version))}
    latest: dict[str, int] = {}
    for t, v in notices:
        latest[t] = max(v, latest.get(t, 0))
    return _Catalog(
        set((await s.execute(select(Channel.key))).scalars()),
        {t.key: t for t in (await s.execute(select(Topic))).scalars()},
        latest,
        notices,
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _identities(record: ImportRecord) -> list[tuple[str, str]]:
    raw = [(i.kind, i.value) for i in record.identities]
    if record.email:
        raw.append(("email", record.email))
    if record.phone:
        raw.append(("phone", record.phone))
    out = []
    for kind, value in raw:
        try:
            pair = (kind, normalise_identity(kind, value))
        except InvalidIdentity as exc:
            raise Rejected(f"{kind}: {exc}") from None
        if pair not in out:
            out.append(pair)
    return out


def _validate(record: ImportRecord, cat: _Catalog) -> None:
    for p in record.preferences:
        if p.channel not in cat.channels:
            raise Rejected(f"unknown channel {p.channel}")
        if p.topic != "*":
            topic = cat.topics.get(p.topic)
            if topic is None:
                raise Rejected(f"unknown topic {p.topic}")
            if p.channel not in topic.channels:
                raise Rejected(f"topic {p.topic} is not offered on channel {p.channel}")
    for c in record.consents:
        topic = cat.topics.get(c.topic)
        if topic is None:
            raise Rejected(f"unknown topic {c.topic}")
        if topic.legal_basis != "consent":
            raise Rejected(f"topic {c.topic} rests on {topic.legal_basis}, not consent")
        missing = sorted(set(c.channels) - set(topic.channels))
        if missing:
            raise Rejected(f"topic {c.topic} is not offered on {', '.join(missing)}")
        version = c.notice_version or cat.latest_notice.get(c.topic)
        if version is None or (c.topic, version) not in cat.notices:
            raise Rejected(f"topic {c.topic} has no notice version {c.notice_version or '(any)'}")
        if c.status == "withdrawn" and c.withdrawn_at is None:
            raise Rejected(f"consent to {c.topic} is withdrawn but has no withdrawn_at")
    if not record.external_id and not _has_identity(record):
        raise Rejected("a row needs an external_id or an identity to find or create its subject")


def _has_identity(record: ImportRecord) -> bool:
    return bool(record.email or record.phone or record.identities)


_IN_BATCH = 5000  # values per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits
_subjects = Subject.__table__
_keys = SubjectKey.__table__
_identities_t = Identity.__table__
_prefs = Preference.__table__
_consents = Consent.__table__
_ledger = ImportedRow.__table__


async def _select_in(s, make, values) -> list:
    """Rows of ``make(batch)`` for every batch of ``values`` (one round trip per batch)."""
    values = list(values)
    out: list = []
    for i in range(0, len(values), _IN_BATCH):
        out.extend((await s.execute(make(values[i : i + _IN_BATCH]))).all())
    return out


@dataclass(slots=True)
class _Subject:
    id: str
    external_id: str | None
    do_not_contact: bool
    revision: int
    erased: bool
    created: bool  # inserted by this chunk
    data_key: bytes | None
    dirty: bool = False  # an existing subject changed by this chunk


@dataclass
class _Chunk:
    """What a chunk knows and will write: read with a few set-based SELECTs, written with one INSERT
    (or UPDATE) per table at the end. Rows are applied in file order, so later rows see earlier ones."""

    now: datetime
    cat: _Catalog
    source: str
    master_key: bytes
    master_key_id: str
    subjects: dict[str, _Subject]
    by_hash: dict[str, str]  # identity lookup hash -> subject id
    by_external: dict[str, str]
    suppressed: set[str]
    prefs: dict[tuple[str, str, str], dict]  # current preference rows, loaded or new
    loaded_prefs: set[tuple[str, str, str]]
    current: dict[tuple[str, str], dict]  # current consent rows, loaded ({"id"} only) or new
    new_subjects: list[_Subject] = field(default_factory=list)
    new_keys: list[dict] = field(default_factory=list)
    new_identities: list[dict] = field(default_factory=list)
    new_prefs: list[dict] = field(default_factory=list)
    changed_prefs: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    new_consents: list[dict] = field(default_factory=list)
    demoted: list[dict] = field(default_factory=list)  # loaded current consents superseded by new ones
    ledger: list[dict] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)


async def import_chunk(
    ctx: AppContext, rows: list[tuple[int, ImportRecord, str]], source: str, report: ImportReport
) -> None:
    """One transaction: every acceptable row of the chunk, or (on any failure) none of them.

    Reads: the catalog, the ledger, identities, suppressions, subjects, their data keys, preferences and
    current consents, each one set-based SELECT. Then every row is resolved and applied in Python (lookup
    hashes, new data keys, sealed values, the ``import.row`` events), and everything is written with one
    executemany per table; the events are linked to the chain head read under the chain lock.
    """
    if not rows:
        return
    async with ctx.unit_of_work() as uow:
        s = uow.session
        cat = await _catalog(uow)
        done = {
            r[0]
            for r in await _select_in(
                s, lambda b: select(_ledger.c.row_key).where(_ledger.c.row_key.in_(b)), [k for *_, k in rows]
            )
        }
        pepper = ctx.keys.pepper
        prepared = []
        for line, record, key in rows:
            if key in done:
                report.skipped += 1
                continue
            done.add(key)  # the same row twice in one file
            try:
                _validate(record, cat)
                idents = _identities(record)
            except Rejected as exc:
                report.rejected.append((line, str(exc)))
                continue
            hashes = [(kind, crypto.lookup_hash(pepper, kind, value), value) for kind, value in idents]
            prepared.append((line, record, key, hashes))
        if not prepared:
            return
        all_hashes = {h for *_, hashes in prepared for _, h, _ in hashes}
        ext_ids = {r.external_id for _, r, _, _ in prepared if r.external_id}
        by_hash = dict(
            await _select_in(
                s,
                lambda b: select(_identities_t.c.lookup_hash, _identities_t.c.subject_id).where(
                    _identities_t.c.lookup_hash.in_(b)
                ),
                all_hashes,
            )
        )
        supp = ErasureSuppression.__table__
        suppressed = {
            r[0]
            for r in await _select_in(
                s, lambda b: select(supp.c.lookup_hash).where(supp.c.lookup_hash.in_(b)), all_hashes
            )
        }
        cols = (
            _subjects.c.id,
            _subjects.c.external_id,
            _subjects.c.do_not_contact,
            _subjects.c.revision,
            _subjects.c.erased_at,
        )
        found = await _select_in(s, lambda b: select(*cols).where(_subjects.c.external_id.in_(b)), ext_ids)
        found += await _select_in(
            s, lambda b: select(*cols).where(_subjects.c.id.in_(b)), set(by_hash.values())
        )
        subjects = {
            sid: _Subject(sid, ext, bool(dnc), rev, erased is not None, False, None)
            for sid, ext, dnc, rev, erased in found
        }
        for sid, master_id, wrapped in await _select_in(
            s,
            lambda b: select(_keys.c.subject_id, _keys.c.master_key_id, _keys.c.wrapped_key).where(
                _keys.c.subject_id.in_(b)
            ),
            [x.id for x in subjects.values() if not x.erased],
        ):
            subjects[sid].data_key = crypto.unwrap_key(ctx.keys.master_key_by_id(master_id), wrapped, sid)
        prefs = {
            (sid, ch, tp): {"subject_id": sid, "channel": ch, "topic": tp, "status": st}
            for sid, ch, tp, st in await _select_in(
                s,
                lambda b: select(
                    _prefs.c.subject_id, _prefs.c.channel, _prefs.c.topic, _prefs.c.status
                ).where(_prefs.c.subject_id.in_(b)),
                list(subjects),
            )
        }
        current = {
            (sid, tp): {"id": cid}
            for cid, sid, tp in await _select_in(
                s,
                lambda b: select(_consents.c.id, _consents.c.subject_id, _consents.c.topic).where(
                    _consents.c.subject_id.in_(b), _consents.c.is_current.is_(True)
                ),
                list(subjects),
            )
        }
        chunk = _Chunk(
            now=uow.now,
            cat=cat,
            source=source[:200],
            master_key=ctx.keys.master_key,
            master_key_id=ctx.keys.master_key_id,
            subjects=subjects,
            by_hash=by_hash,
            by_external={x.external_id: x.id for x in subjects.values() if x.external_id},
            suppressed=suppressed,
            prefs=prefs,
            loaded_prefs=set(prefs),
            current=current,
        )
        for line, record, key, hashes in prepared:
            try:
                subject = _match(record, hashes, chunk)
            except Rejected as exc:
                report.rejected.append((line, str(exc)))
                continue
            _apply(chunk, line, record, key, hashes, subject)
            report.imported += 1
        await _write(uow, chunk)


def _match(record: ImportRecord, hashes, chunk: _Chunk) -> _Subject | None:
    if any(h in chunk.suppressed for _, h, _ in hashes):
        raise Rejected("an identity belongs to an erased person (erasure suppression list)")
    found = {chunk.by_hash[h] for _, h, _ in hashes if h in chunk.by_hash}
    if record.external_id and record.external_id in chunk.by_external:
        found.add(chunk.by_external[record.external_id])
    if len(found) > 1:
        raise Rejected("the row's external_id and identities belong to different subjects")
    if not found:
        return None
    subject = chunk.subjects[found.pop()]
    if subject.erased:
        raise Rejected("the subject was erased")
    if record.external_id and subject.external_id not in (None, record.external_id):
        raise Rejected("the identity belongs to a subject with another external_id")
    if subject.data_key is None and hashes:
        raise Rejected("the subject's data key is missing, its identities cannot be sealed")
    return subject


def _apply(
    chunk: _Chunk, line: int, record: ImportRecord, key: str, hashes, subject: _Subject | None
) -> None:
    """Apply one accepted row to the chunk's pending writes and queue its ``import.row`` event."""
    now = chunk.now
    created = subject is None
    if subject is None:
        sid = _new_id()
        data_key = crypto.new_data_key()
        subject = _Subject(sid, record.external_id, False, 1, False, True, data_key)
        chunk.subjects[sid] = subject
        chunk.new_subjects.append(subject)
        chunk.new_keys.append(
            {
                "subject_id": sid,
                "master_key_id": chunk.master_key_id,
                "wrapped_key": crypto.wrap_key(chunk.master_key, data_key, sid),
                "created_at": now,
            }
        )
    sid = subject.id
    facts: dict = {"created": created}
    if record.external_id:
        if subject.external_id is None:
            subject.external_id = record.external_id
            subject.dirty = True
        chunk.by_external.setdefault(record.external_id, sid)
    new_identities = []
    for kind, digest, value in hashes:
        if digest in chunk.by_hash:
            continue
        assert subject.data_key is not None
        chunk.new_identities.append(
            {
                "id": _new_id(),
                "subject_id": sid,
                "kind": kind,
                "lookup_hash": digest,
                "sealed_value": crypto.seal(subject.data_key, value.encode(), aad=sid.encode()),
                "added_at": now,
            }
        )
        chunk.by_hash[digest] = sid
        new_identities.append(kind)
    facts["identities_added"] = new_identities
    if record.do_not_contact is not None and record.do_not_contact != subject.do_not_contact:
        subject.do_not_contact = record.do_not_contact
        subject.dirty = True
        facts["do_not_contact"] = record.do_not_contact
    changed_prefs = []
    for p in record.preferences:
        at = _utc(p.updated_at) or now
        pkey = (sid, p.channel, p.topic)
        existing = chunk.prefs.get(pkey)
        if existing is None:
            existing = {"subject_id": sid, "channel": p.channel, "topic": p.topic, "status": p.status}
            existing["updated_at"] = at
            chunk.prefs[pkey] = existing
            chunk.new_prefs.append(existing)
        elif existing["status"] != p.status:
            existing["status"], existing["updated_at"] = p.status, at
            if pkey in chunk.loaded_prefs:
                chunk.changed_prefs[pkey] = existing
        else:
            continue
        changed_prefs.append(
            {"channel": p.channel, "topic": p.topic, "status": p.status, "at": format_instant(at)}
        )
    facts["preferences"] = changed_prefs
    consents = []
    for c in record.consents:
        topic = chunk.cat.topics[c.topic]
        granted_at = _utc(c.granted_at)
        version = c.notice_version or chunk.cat.latest_notice[c.topic]
        previous = chunk.current.get((sid, c.topic))
        channels = sorted(set(c.channels))
        withdrawn_at = _utc(c.withdrawn_at)
        consent = {
            "id": _new_id(),
            "subject_id": sid,
            "topic": c.topic,
            "channels": channels,
            "status": c.status,
            "is_current": True,
            "notice_version": version,
            "method": c.method,
            "touchpoint": c.touchpoint,
            "actor_type": "system",
            "actor_id": "import",
            "granted_at": granted_at,
            "confirmed_at": granted_at if topic.double_opt_in and "email" in c.channels else None,
            "withdrawn_at": withdrawn_at,
            "expires_at": consent_expiry(granted_at, topic.consent_lifetime_days),
            "superseded_by": None,
            "evidence_sealed": None,
        }
        if previous is not None:
            previous["is_current"] = False
            previous["superseded_by"] = consent["id"]
            if "subject_id" not in previous:  # a loaded consent: demote it in the database
                chunk.demoted.append({"b_id": previous["id"], "b_superseded_by": consent["id"]})
        chunk.new_consents.append(consent)
        chunk.current[(sid, c.topic)] = consent
        consents.append(
            {
                "consent_id": consent["id"],
                "topic": c.topic,
                "channels": channels,
                "status": c.status,
                "notice_version": version,
                "method": c.method,
                "original_touchpoint": c.touchpoint,
                "granted_at": format_instant(granted_at),
                "withdrawn_at": format_instant(withdrawn_at) if withdrawn_at else None,
                "supersedes": previous["id"] if previous else None,
            }
        )
    facts["consents"] = consents
    if not created:
        subject.revision += 1  # widgets holding an older ETag must re-read
        subject.dirty = True
    chunk.ledger.append({"row_key": key, "subject_id": sid, "source": chunk.source, "imported_at": now})
    sealed = None
    if hashes:
        assert subject.data_key is not None
        sealed = crypto.seal_json(subject.data_key, {"identities": [[k, v] for k, _, v in hashes]})
    chunk.events.append(
        NewEvent(
            "import.row",
            SYSTEM,
            subject_id=sid,
            touchpoint="import",
            data={"row_key": key, "source": chunk.source, "line": line, **facts},
            sealed=sealed,
        )
    )


async def _write(uow: UnitOfWork, chunk: _Chunk) -> None:
    """One executemany per table, parents first (foreign keys are enforced)."""
    s = uow.session
    if chunk.new_subjects:
        await s.execute(
            insert(_subjects),
            [
                {
                    "id": x.id,
                    "external_id": x.external_id,
                    "created_at": chunk.now,
                    "erased_at": None,
                    "revision": x.revision,
                    "do_not_contact": x.do_not_contact,
                }
                for x in chunk.new_subjects
            ],
        )
        await s.execute(insert(_keys), chunk.new_keys)
    changed = [x for x in chunk.subjects.values() if x.dirty and not x.created]
    if changed:
        await s.execute(
            update(_subjects)
            .where(_subjects.c.id == bindparam("b_id"))
            .values(
                external_id=bindparam("b_external_id"),
                do_not_contact=bindparam("b_dnc"),
                revision=bindparam("b_revision"),
            ),
            [
                {
                    "b_id": x.id,
                    "b_external_id": x.external_id,
                    "b_dnc": x.do_not_contact,
                    "b_revision": x.revision,
                }
                for x in changed
            ],
        )
    if chunk.new_identities:
        await s.execute(insert(_identities_t), chunk.new_identities)
    if chunk.new_prefs:
        await s.execute(insert(_prefs), chunk.new_prefs)
    if chunk.changed_prefs:
        await s.execute(
            update(_prefs)
            .where(
                _prefs.c.subject_id == bindparam("b_subject_id"),
                _prefs.c.channel == bindparam("b_channel"),
                _prefs.c.topic == bindparam("b_topic"),
            )
            .values(status=bindparam("b_status"), updated_at=bindparam("b_updated_at")),
            [{f"b_{k}": v for k, v in p.items()} for p in chunk.changed_prefs.values()],
        )
    if chunk.demoted:
        await s.execute(
            update(_consents)
            .where(_consents.c.id == bindparam("b_id"))
            .values(is_current=False, superseded_by=bindparam("b_superseded_by")),
            chunk.demoted,
        )
    if chunk.new_consents:
        await s.execute(insert(_consents), chunk.new_consents)
    if chunk.ledger:
        await s.execute(insert(_ledger), chunk.ledger)
    await uow.append_events(chunk.events)


async def import_records(
    ctx: AppContext,
    records: Iterable[tuple[int, ImportRecord | RowError]],
    source: str,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``records`` chunk by chunk, one transaction each, in file order.

    While a chunk is being written the next one is read and parsed (yielding to the writer every few
    hundred rows), so parsing overlaps the database work; chunks still run one after the other, each
    seeing everything the previous ones committed. Rejected rows are reported in line order."""
    report = ImportReport()
    batch: list[tuple[int, ImportRecord, str]] = []
    writing: asyncio.Task | None = None

    async def finish() -> None:
        nonlocal writing
        if writing is not None:
            task, writing = writing, None
            await task
            if progress:
                progress(task.rows)  # type: ignore[attr-defined]

    def start(rows: list[tuple[int, ImportRecord, str]]) -> None:
        nonlocal writing
        writing = asyncio.ensure_future(import_chunk(ctx, rows, source, report))
        writing.rows = len(rows)  # type: ignore[attr-defined]

    try:
        for line, record in records:
            if isinstance(record, RowError):
                report.rejected.append((line, str(record)))
                continue
            batch.append((line, record, row_key(record)))
            if writing is not None and len(batch) % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the chunk being written take its next step
            if len(batch) >= chunk:
                await finish()
                start(batch)
                batch = []
        await finish()
        if batch:
            start(batch)
            await finish()
    except BaseException:
        if writing is not None:  # let the chunk in flight commit or roll back as a whole, then fail
            await asyncio.gather(writing, return_exceptions=True)
        raise
    report.rejected.sort()
    return report
