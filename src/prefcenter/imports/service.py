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

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.core.decisions import consent_expiry
from prefcenter.core.normalise import InvalidIdentity, normalise_identity
from prefcenter.imports.schemas import ImportRecord
from prefcenter.imports.source import RowError, row_key
from prefcenter.store.models import Channel, Consent, Identity, Notice, Preference, Subject, Topic
from prefcenter.store.models_checks import ImportedRow
from prefcenter.store.models_dsr import ErasureSuppression
from prefcenter.store.unit_of_work import SYSTEM, UnitOfWork, format_instant

CHUNK = 1000


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


async def import_chunk(
    ctx: AppContext, rows: list[tuple[int, ImportRecord, str]], source: str, report: ImportReport
) -> None:
    """One transaction: every acceptable row of the chunk, or (on any failure) none of them."""
    if not rows:
        return
    async with ctx.unit_of_work() as uow:
        s = uow.session
        cat = await _catalog(uow)
        keys = [k for _, _, k in rows]
        done = set(
            (await s.execute(select(ImportedRow.row_key).where(ImportedRow.row_key.in_(keys)))).scalars()
        )
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
            hashes = [
                (kind, crypto.lookup_hash(ctx.keys.pepper, kind, value), value) for kind, value in idents
            ]
            prepared.append((line, record, key, hashes))
        if not prepared:
            return
        all_hashes = [h for *_, hashes in prepared for _, h, _ in hashes]
        ext_ids = [r.external_id for _, r, _, _ in prepared if r.external_id]
        by_hash = dict(
            (
                await s.execute(
                    select(Identity.lookup_hash, Identity.subject_id).where(
                        Identity.lookup_hash.in_(all_hashes)
                    )
                )
            ).all()
        )
        suppressed = set(
            (
                await s.execute(
                    select(ErasureSuppression.lookup_hash).where(
                        ErasureSuppression.lookup_hash.in_(all_hashes)
                    )
                )
            ).scalars()
        )
        subjects = {
            x.id: x
            for x in (
                await s.execute(
                    select(Subject).where(
                        Subject.external_id.in_(ext_ids) | Subject.id.in_(list(set(by_hash.values())))
                    )
                )
            ).scalars()
        }
        by_external = {x.external_id: x.id for x in subjects.values() if x.external_id}
        prefs = {
            (p.subject_id, p.channel, p.topic): p
            for p in (
                await s.execute(select(Preference).where(Preference.subject_id.in_(list(subjects))))
            ).scalars()
        }
        current = {
            (c.subject_id, c.topic): c
            for c in (
                await s.execute(
                    select(Consent).where(
                        Consent.subject_id.in_(list(subjects)), Consent.is_current.is_(True)
                    )
                )
            ).scalars()
        }
        # pass 1: find or create each row's subject (later rows see earlier rows' identities)
        claimed = dict(by_hash)
        planned = []
        for line, record, key, hashes in prepared:
            try:
                subject = _match(record, hashes, claimed, by_external, subjects, suppressed)
            except Rejected as exc:
                report.rejected.append((line, str(exc)))
                continue
            created = subject is None
            if subject is None:
                subject = await _create_subject(uow, record)
                subjects[subject.id] = subject
            if record.external_id:
                by_external.setdefault(record.external_id, subject.id)
            for _, digest, _ in hashes:
                claimed.setdefault(digest, subject.id)
            planned.append((line, record, key, hashes, subject, created))
        await s.flush()  # subjects before the rows that reference them (no ORM relationships to order by)
        # pass 2: identities, preferences, consents, the ledger entry and one audit event per row
        for line, record, key, hashes, subject, created in planned:
            facts = await _apply(uow, subject, created, record, hashes, by_hash, prefs, current, cat)
            s.add(ImportedRow(row_key=key, subject_id=subject.id, source=source[:200], imported_at=uow.now))
            await uow.append_event(
                "import.row",
                actor=SYSTEM,
                subject_id=subject.id,
                touchpoint="import",
                data={"row_key": key, "source": source[:200], "line": line, **facts},
                sealed={"identities": [[k, v] for k, _, v in hashes]} if hashes else None,
            )
            report.imported += 1


def _match(record, hashes, by_hash, by_external, subjects, suppressed) -> Subject | None:
    if any(h in suppressed for _, h, _ in hashes):
        raise Rejected("an identity belongs to an erased person (erasure suppression list)")
    found = {by_hash[h] for _, h, _ in hashes if h in by_hash}
    if record.external_id and record.external_id in by_external:
        found.add(by_external[record.external_id])
    if len(found) > 1:
        raise Rejected("the row's external_id and identities belong to different subjects")
    if not found:
        return None
    subject = subjects[found.pop()]
    if subject.erased_at is not None:
        raise Rejected("the subject was erased")
    if record.external_id and subject.external_id not in (None, record.external_id):
        raise Rejected("the identity belongs to a subject with another external_id")
    return subject


async def _create_subject(uow: UnitOfWork, record: ImportRecord) -> Subject:
    subject = Subject(
        id=str(uuid.uuid4()),
        external_id=record.external_id,
        created_at=uow.now,
        revision=1,
        do_not_contact=False,
    )
    uow.session.add(subject)
    await uow.create_data_key(subject.id)
    return subject


async def _apply(uow, subject, created, record, hashes, by_hash, prefs, current, cat) -> dict:
    s, now = uow.session, uow.now
    facts: dict = {"created": created}
    if record.external_id and subject.external_id is None:
        subject.external_id = record.external_id
    new_identities = []
    for kind, digest, value in hashes:
        if digest in by_hash:
            continue
        s.add(
            Identity(
                id=str(uuid.uuid4()),
                subject_id=subject.id,
                kind=kind,
                lookup_hash=digest,
                sealed_value=crypto.seal(
                    await uow.data_key(subject.id), value.encode(), aad=subject.id.encode()
                ),
                added_at=now,
            )
        )
        by_hash[digest] = subject.id
        new_identities.append(kind)
    facts["identities_added"] = new_identities
    if record.do_not_contact is not None and record.do_not_contact != subject.do_not_contact:
        subject.do_not_contact = record.do_not_contact
        facts["do_not_contact"] = record.do_not_contact
    changed_prefs = []
    for p in record.preferences:
        at = _utc(p.updated_at) or now
        existing = prefs.get((subject.id, p.channel, p.topic))
        if existing is None:
            existing = Preference(
                subject_id=subject.id, channel=p.channel, topic=p.topic, status=p.status, updated_at=at
            )
            s.add(existing)
            prefs[(subject.id, p.channel, p.topic)] = existing
        elif existing.status != p.status:
            existing.status, existing.updated_at = p.status, at
        else:
            continue
        changed_prefs.append(
            {"channel": p.channel, "topic": p.topic, "status": p.status, "at": format_instant(at)}
        )
    facts["preferences"] = changed_prefs
    consents = []
    for c in record.consents:
        topic = cat.topics[c.topic]
        granted_at = _utc(c.granted_at)
        version = c.notice_version or cat.latest_notice[c.topic]
        previous = current.get((subject.id, c.topic))
        consent = Consent(
            id=str(uuid.uuid4()),
            subject_id=subject.id,
            topic=c.topic,
            channels=sorted(set(c.channels)),
            status=c.status,
            is_current=True,
            notice_version=version,
            method=c.method,
            touchpoint=c.touchpoint,
            actor_type="system",
            actor_id="import",
            granted_at=granted_at,
            confirmed_at=granted_at if topic.double_opt_in and "email" in c.channels else None,
            withdrawn_at=_utc(c.withdrawn_at),
            expires_at=consent_expiry(granted_at, topic.consent_lifetime_days),
        )
        if previous is not None:
            previous.is_current = False
            previous.superseded_by = consent.id
            await s.flush()  # the partial unique "one current consent" must see the old one demoted first
        s.add(consent)
        current[(subject.id, c.topic)] = consent
        consents.append(
            {
                "consent_id": consent.id,
                "topic": c.topic,
                "channels": consent.channels,
                "status": c.status,
                "notice_version": version,
                "method": c.method,
                "original_touchpoint": c.touchpoint,
                "granted_at": format_instant(granted_at),
                "withdrawn_at": format_instant(consent.withdrawn_at) if consent.withdrawn_at else None,
                "supersedes": previous.id if previous else None,
            }
        )
    facts["consents"] = consents
    if not created:
        subject.revision += 1  # widgets holding an older ETag must re-read
    return facts


async def import_records(
    ctx: AppContext,
    records: Iterable[tuple[int, ImportRecord | RowError]],
    source: str,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, ImportRecord, str]] = []
    for line, record in records:
        if isinstance(record, RowError):
            report.rejected.append((line, str(record)))
            continue
        batch.append((line, record, row_key(record)))
        if len(batch) >= chunk:
            await import_chunk(ctx, batch, source, report)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        await import_chunk(ctx, batch, source, report)
        if progress:
            progress(len(batch))
    return report
