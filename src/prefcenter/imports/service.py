"""Bulk import: chunks of rows, each chunk one transaction (projections + audit events + ledger).

- Streaming: the file is read in batches, prepared (parsed, hashed, sealed: ``prepare.py``, in worker
  processes when given a pool) a little ahead of the writer, and applied ``CHUNK`` rows at a time.
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
import gc
import json
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import select

from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.core.decisions import consent_expiry
from prefcenter.i18n import DEFAULT_LOCALE
from prefcenter.imports import workers
from prefcenter.imports.prepare import Prepared, Preparer, sealed_event_fields
from prefcenter.imports.schemas import ImportRecord
from prefcenter.imports.source import BATCH, read_batches
from prefcenter.store.bulk_connection import BulkConnection
from prefcenter.store.models import Channel, Notice, Topic
from prefcenter.store.unit_of_work import (
    CHECKPOINT_COLUMNS,
    EVENT_COLUMNS,
    SYSTEM,
    NewEvent,
    UnitOfWork,
    format_instant,
)
from prefcenter.store.write_statements import CONSENT_COLUMNS, lock_subject_rows

CHUNK = 5000


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
    notices = {
        (t, v)
        for t, v in await s.execute(
            select(Notice.topic_key, Notice.version).where(Notice.locale == DEFAULT_LOCALE)
        )
    }
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


# Column orders of the rows the chunk writes (tuples, in the driver's value forms: ``BulkConnection``); consents,
# events and checkpoints use the store's own column lists (the same as a single write).
SUBJECT_COLUMNS = ("id", "external_id", "created_at", "erased_at", "revision", "do_not_contact")
KEY_COLUMNS = ("subject_id", "master_key_id", "wrapped_key", "created_at")
IDENTITY_COLUMNS = ("id", "subject_id", "kind", "lookup_hash", "sealed_value", "added_at")
PREFERENCE_COLUMNS = ("subject_id", "channel", "topic", "status", "updated_at")
LEDGER_COLUMNS = ("row_key", "subject_id", "source", "imported_at")


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
    """What a chunk knows and will write: read with a few set-based SELECTs, written with one bulk INSERT
    (or UPDATE) per table at the end. Rows are applied in file order, so later rows see earlier ones."""

    now: datetime
    instant: object  # ``now`` in the driver's form
    to_instant: object  # the driver's form of a datetime (``BulkConnection.instant``)
    cat: _Catalog
    source: str
    master_key_id: str
    subjects: dict[str, _Subject]
    by_hash: dict[str, str]  # identity lookup hash -> subject id
    by_external: dict[str, str]
    suppressed: set[str]
    prefs: dict[tuple[str, str, str], dict]  # current preference rows, loaded or new
    loaded_prefs: set[tuple[str, str, str]]
    current: dict[tuple[str, str], dict]  # current consent rows, loaded ({"id"} only) or new
    new_subjects: list[_Subject] = field(default_factory=list)
    new_keys: list[tuple] = field(default_factory=list)
    new_identities: list[tuple] = field(default_factory=list)
    new_prefs: list[dict] = field(default_factory=list)
    changed_prefs: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    new_consents: list[dict] = field(default_factory=list)
    demoted: list[tuple] = field(default_factory=list)  # (superseded_by, id) of loaded current consents
    ledger: list[tuple] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)


async def import_chunk(ctx: AppContext, rows: list[Prepared], source: str, report: ImportReport) -> None:
    """One transaction: every acceptable row of the chunk, or (on any failure) none of them.

    Reads: the catalog, the ledger, identities, suppressions, subjects, their data keys, preferences and
    current consents, each one set-based SELECT. Then every row is resolved and applied in Python, and
    everything is written with one bulk insert per table; the events are linked to the chain head read
    under the chain lock, in this transaction.
    """
    if not rows:
        return
    async with ctx.unit_of_work() as uow:
        cat = await _catalog(uow)
        db = await BulkConnection.of(uow.session)
        done = {r[0] for r in await db.select_in("row_key", "import_rows", "row_key", [p.key for p in rows])}
        accepted: list[Prepared] = []
        for p in rows:
            if p.key in done:
                report.skipped += 1
                continue
            done.add(p.key)  # the same row twice in one file
            try:
                _validate(p.record, cat)
                if p.invalid is not None:
                    raise Rejected(p.invalid)
            except Rejected as exc:
                report.rejected.append((p.line, str(exc)))
                continue
            accepted.append(p)
        if not accepted:
            return
        all_hashes = list({h for p in accepted for _, h, _ in p.identities})
        ext_ids = list({p.record.external_id for p in accepted if p.record.external_id})
        by_hash = {
            h: sid
            for h, sid in await db.select_in(
                "lookup_hash, subject_id", "identities", "lookup_hash", all_hashes
            )
        }
        suppressible = all_hashes + list({h for p in accepted for h in p.legacy_hashes})
        suppressed = {
            r[0]
            for r in await db.select_in("lookup_hash", "erasure_suppressions", "lookup_hash", suppressible)
        }
        cols = "id, external_id, do_not_contact, revision, erased_at"
        matched = {r[0] for r in await db.select_in("id", "subjects", "external_id", ext_ids)}
        # the matched subjects locked (in id order, as every writer of many subjects locks them), then read,
        # with everything of theirs below, under the locks: a write that held one has committed, and none
        # can change one until this chunk commits (its revision, preferences and current consents)
        locked = await lock_subject_rows(await uow.statements(), matched | set(by_hash.values()))
        found = list(await db.select_in(cols, "subjects", "id", locked))
        subjects = {
            sid: _Subject(sid, ext, bool(dnc), rev, erased is not None, False, None)
            for sid, ext, dnc, rev, erased in found
        }
        for sid, master_id, wrapped in await db.select_in(
            "subject_id, master_key_id, wrapped_key",
            "subject_keys",
            "subject_id",
            [x.id for x in subjects.values() if not x.erased],
        ):
            subjects[sid].data_key = crypto.unwrap_key(ctx.keys.master_key_by_id(master_id), wrapped, sid)
        prefs = {
            (sid, ch, tp): {"subject_id": sid, "channel": ch, "topic": tp, "status": st}
            for sid, ch, tp, st in await db.select_in(
                "subject_id, channel, topic, status", "preferences", "subject_id", list(subjects)
            )
        }
        current = {
            (sid, tp): {"id": cid}
            for cid, sid, tp in await db.select_in(
                "id, subject_id, topic", "consents", "is_current = TRUE AND subject_id", list(subjects)
            )
        }
        chunk = _Chunk(
            now=uow.now,
            instant=db.instant(uow.now),
            to_instant=db.instant,
            cat=cat,
            source=source[:200],
            master_key_id=ctx.keys.master_key_id,
            subjects=subjects,
            by_hash=by_hash,
            by_external={x.external_id: x.id for x in subjects.values() if x.external_id},
            suppressed=suppressed,
            prefs=prefs,
            loaded_prefs=set(prefs),
            current=current,
        )
        for p in accepted:
            try:
                subject = _match(p, chunk)
            except Rejected as exc:
                report.rejected.append((p.line, str(exc)))
                continue
            _apply(chunk, p, subject)
            report.imported += 1
        await _write(uow, db, chunk)


def _match(p: Prepared, chunk: _Chunk) -> _Subject | None:
    record, hashes = p.record, p.identities
    suppressed = chunk.suppressed
    if any(h in suppressed for _, h, _ in hashes) or any(h in suppressed for h in p.legacy_hashes):
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


_channels_json: dict[tuple[str, ...], str] = {}


def _json_channels(channels: list[str]) -> str:
    """A consent's channels as SQLAlchemy's JSON type stores them (``json.dumps``), built once per list."""
    key = tuple(channels)
    text = _channels_json.get(key)
    if text is None:
        text = _channels_json[key] = json.dumps(channels)
    return text


def _apply(chunk: _Chunk, p: Prepared, subject: _Subject | None) -> None:
    """Apply one accepted row to the chunk's pending writes and queue its ``import.row`` event. A row that
    creates its subject uses the keys and sealed values prepared for it (``p.fresh``); a row of an existing
    subject is sealed here with that subject's key."""
    record, hashes = p.record, p.identities
    now, instant = chunk.now, chunk.instant
    created = subject is None
    fresh = p.fresh
    if subject is None:
        assert fresh is not None  # rows with an invalid identity were rejected
        sid = fresh.id
        subject = _Subject(sid, record.external_id, False, 1, False, True, fresh.data_key)
        chunk.subjects[sid] = subject
        chunk.new_subjects.append(subject)
        chunk.new_keys.append((sid, chunk.master_key_id, fresh.wrapped_key, instant))
        sealed_values = fresh.sealed_identities
        sealed = fresh.sealed_event
    else:
        sid = subject.id
        sealed_values = None
        sealed = sealed_event_fields(subject.data_key, hashes) if hashes else None
    facts: dict = {"created": created}
    if record.external_id:
        if subject.external_id is None:
            subject.external_id = record.external_id
            subject.dirty = True
        chunk.by_external.setdefault(record.external_id, sid)
    new_identities = []
    for i, (kind, digest, value) in enumerate(hashes):
        if digest in chunk.by_hash:
            continue
        if sealed_values is not None:
            sealed_value = sealed_values[i]
        else:
            assert subject.data_key is not None
            sealed_value = crypto.seal(subject.data_key, value.encode(), aad=sid.encode())
        chunk.new_identities.append((p.identity_ids[i], sid, kind, digest, sealed_value, instant))
        chunk.by_hash[digest] = sid
        new_identities.append(kind)
    facts["identities_added"] = new_identities
    if record.do_not_contact is not None and record.do_not_contact != subject.do_not_contact:
        subject.do_not_contact = record.do_not_contact
        subject.dirty = True
        facts["do_not_contact"] = record.do_not_contact
    changed_prefs = []
    for pref in record.preferences:
        at = _utc(pref.updated_at) or now
        pkey = (sid, pref.channel, pref.topic)
        existing = chunk.prefs.get(pkey)
        if existing is None:
            existing = {
                "subject_id": sid,
                "channel": pref.channel,
                "topic": pref.topic,
                "status": pref.status,
            }
            existing["updated_at"] = at
            chunk.prefs[pkey] = existing
            chunk.new_prefs.append(existing)
        elif existing["status"] != pref.status:
            existing["status"], existing["updated_at"] = pref.status, at
            if pkey in chunk.loaded_prefs:
                chunk.changed_prefs[pkey] = existing
        else:
            continue
        changed_prefs.append(
            {"channel": pref.channel, "topic": pref.topic, "status": pref.status, "at": format_instant(at)}
        )
    facts["preferences"] = changed_prefs
    consents = []
    for i, c in enumerate(record.consents):
        topic = chunk.cat.topics[c.topic]
        granted_at = _utc(c.granted_at)
        version = c.notice_version or chunk.cat.latest_notice[c.topic]
        previous = chunk.current.get((sid, c.topic))
        channels = sorted(set(c.channels))
        withdrawn_at = _utc(c.withdrawn_at)
        consent = {
            "id": p.consent_ids[i],
            "subject_id": sid,
            "topic": c.topic,
            "channels": channels,
            "status": c.status,
            "is_current": True,
            "notice_version": version,
            "method": c.method,
            "touchpoint": c.touchpoint,
            "granted_at": granted_at,
            "confirmed_at": granted_at if topic.double_opt_in and "email" in c.channels else None,
            "withdrawn_at": withdrawn_at,
            "expires_at": consent_expiry(granted_at, topic.consent_lifetime_days),
            "superseded_by": None,
        }
        if previous is not None:
            previous["is_current"] = False
            previous["superseded_by"] = consent["id"]
            if "subject_id" not in previous:  # a loaded consent: demote it in the database
                chunk.demoted.append((consent["id"], previous["id"]))
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
    chunk.ledger.append((p.key, sid, chunk.source, instant))
    chunk.events.append(
        NewEvent(
            "import.row",
            SYSTEM,
            subject_id=sid,
            touchpoint="import",
            data={"row_key": p.key, "source": chunk.source, "line": p.line, **facts},
            sealed=sealed,
        )
    )


async def _write(uow: UnitOfWork, db: BulkConnection, chunk: _Chunk) -> None:
    """One bulk write per table, parents first (foreign keys are enforced); the events last."""
    at = chunk.to_instant
    await db.insert(
        "subjects",
        SUBJECT_COLUMNS,
        [
            (x.id, x.external_id, chunk.instant, None, x.revision, x.do_not_contact)
            for x in chunk.new_subjects
        ],
    )
    await db.insert("subject_keys", KEY_COLUMNS, chunk.new_keys)
    await db.update(
        "UPDATE subjects SET external_id = ?, do_not_contact = ?, revision = ? WHERE id = ?",
        [
            (x.external_id, x.do_not_contact, x.revision, x.id)
            for x in chunk.subjects.values()
            if x.dirty and not x.created
        ],
    )
    await db.insert("identities", IDENTITY_COLUMNS, chunk.new_identities)
    await db.insert(
        "preferences",
        PREFERENCE_COLUMNS,
        [
            (x["subject_id"], x["channel"], x["topic"], x["status"], at(x["updated_at"]))
            for x in chunk.new_prefs
        ],
    )
    await db.update(
        "UPDATE preferences SET status = ?, updated_at = ? WHERE subject_id = ? AND channel = ? AND topic = ?",
        [
            (x["status"], at(x["updated_at"]), x["subject_id"], x["channel"], x["topic"])
            for x in chunk.changed_prefs.values()
        ],
    )
    await db.update("UPDATE consents SET is_current = FALSE, superseded_by = ? WHERE id = ?", chunk.demoted)
    await db.insert(
        "consents",
        CONSENT_COLUMNS,
        [
            (
                x["id"],
                x["subject_id"],
                x["topic"],
                _json_channels(x["channels"]),
                x["status"],
                x["is_current"],
                x["notice_version"],
                x["method"],
                x["touchpoint"],
                "system",
                "import",
                at(x["granted_at"]),
                at(x["confirmed_at"]),
                at(x["withdrawn_at"]),
                at(x["expires_at"]),
                x["superseded_by"],
                None,  # evidence: an import has none beyond its ledger row
                None,  # locale and notice text: not known for consents given elsewhere
                None,
            )
            for x in chunk.new_consents
        ],
    )
    await db.insert("import_rows", LEDGER_COLUMNS, chunk.ledger)
    events, checkpoints = await uow.link_events(chunk.events)
    await db.insert("events", EVENT_COLUMNS, [tuple(e[c] for c in EVENT_COLUMNS) for e in events])
    await db.insert(
        "checkpoints", CHECKPOINT_COLUMNS, [tuple(c[k] for k in CHECKPOINT_COLUMNS) for c in checkpoints]
    )


@contextmanager
def _rare_collections():
    """An import allocates and frees millions of short-lived, acyclic objects (parsed rows, row tuples)
    while a chunk's worth of them is alive: at the default thresholds the cyclic collector rescans those
    thousands of times, which cost about as much as applying the rows. Collect far less often meanwhile."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


async def import_file(
    ctx: AppContext,
    stream: BinaryIO,
    fmt: str,
    source: str,
    *,
    chunk: int = CHUNK,
    pool: Executor | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Import a CSV or NDJSON stream chunk by chunk, one transaction each, in file order.

    Batches are prepared ahead (in ``pool``'s worker processes if given, else here between the writer's
    steps) and the chunk being written overlaps with collecting the next one; chunks still run one after
    the other, each seeing everything the previous ones committed. Rejected rows are reported in line
    order."""
    report = ImportReport()
    preparer = Preparer(ctx.keys.pepper, ctx.keys.master_key)
    ahead = chunk // batch + 4  # batches in flight: about one chunk beyond the one being collected
    pending: list[Prepared] = []
    writing: asyncio.Task | None = None

    async def finish() -> None:
        nonlocal writing
        if writing is not None:
            task, writing = writing, None
            await task

    def start(rows: list[Prepared]) -> None:
        nonlocal writing
        writing = asyncio.ensure_future(import_chunk(ctx, rows, source, report))

    with _rare_collections():
        try:
            async for prepared in workers.prepared(read_batches(stream, fmt, batch), preparer, pool, ahead):
                report.rejected.extend(prepared.unreadable)
                pending.extend(prepared.rows)
                while len(pending) >= chunk:
                    await finish()
                    start(pending[:chunk])
                    pending = pending[chunk:]
            await finish()
            if pending:
                start(pending)
                await finish()
        except BaseException:
            if writing is not None:  # let the chunk in flight commit or roll back as a whole, then fail
                await asyncio.gather(writing, return_exceptions=True)
            raise
    report.rejected.sort()
    return report
