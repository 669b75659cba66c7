"""Access and portability exports (GDPR Art. 15 and 20): everything held about a subject.

The export is a zip: ``export.json`` (the whole document), one CSV per section, and ``README.md``
(this schema). It is encrypted at rest under its own AES-256-GCM key, wrapped by the master key, and
downloaded through a single-use signed link that expires. Erasing the subject deletes its exports.

Schema ``prefcenter.export`` version 1.2 (``export.json``; 1.1 added ``interactions``, 1.2 ``feedback``)::

    schema            "prefcenter.export"
    schema_version    "1.2"  (minor: fields added; major: fields changed or removed)
    generated_at      RFC 3339 UTC
    request           {id, type, received_at}
    subject           {id, external_id, created_at, legal_hold, settings: {do_not_contact,
                       preferred_channel, language, frequency}}
    identities        [{kind, value, added_at}]                      value decrypted
    preferences       [{channel, topic, status, updated_at}]         topic "*" = the whole channel
    consents          [{id, topic, channels, status, is_current, notice_version, notice_sha256,
                        notice_text, method, touchpoint, actor_type, actor_id, granted_at,
                        confirmed_at, withdrawn_at, expires_at, superseded_by, evidence}]
                       every record, current and superseded; evidence decrypted ({ip, user_agent, note})
    interactions      [{id, occurred_at, channel, touchpoint, direction, topic, summary, outcome,
                        handle_seconds, agent, continues, actor_type, actor_id}]
                       contacts on any channel, oldest first; summary decrypted
    feedback          [{id, received_at, metric, score, channel, touchpoint, site, interaction_id,
                        comment}]
                       CSAT, NPS and CES answers, oldest first; comment decrypted
    events            [{seq, occurred_at, type, actor_type, actor_id, touchpoint, data, personal, hash}]
                       the subject's whole audit history; ``personal`` = the decrypted sealed fields
    dsr_requests      [{id, type, status, outcome, received_at, due_at, completed_at,
                        history: [{at, action, from_status, to_status, actor_type, reason}]}]

CSV files: identities.csv, preferences.csv, consents.csv, interactions.csv, feedback.csv, events.csv (data and
personal as JSON text), dsr_requests.csv. Timestamps are RFC 3339 UTC everywhere. A CSV cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return has a ``'`` put in front of it, so a spreadsheet
shows it as text instead of running it as a formula (``export.json`` holds every value exactly);
phone numbers (``+`` and digits) are left as they are.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import uuid
import zipfile
from datetime import timedelta

import msgspec
from sqlalchemy import select, update

from prefcenter.core import crypto
from prefcenter.core.csv_cells import neutralise_row
from prefcenter.dsr.export_letter import letter_facts, write_letter
from prefcenter.dsr.lifecycle import WORKER, get_request, transition
from prefcenter.errors import Conflict, Forbidden, Gone, NotFound
from prefcenter.feedback.service import EXPORT_COLUMNS as FEEDBACK_COLUMNS
from prefcenter.feedback.service import export_feedback
from prefcenter.i18n import DEFAULT_LOCALE
from prefcenter.interactions.service import export_interactions
from prefcenter.jobs import queue
from prefcenter.store.models import Consent, Event, Identity, Notice, Preference, Subject, SubjectKey
from prefcenter.store.models_dsr import DsrExport, DsrHistory, DsrRequest, ExportLink, Job
from prefcenter.store.unit_of_work import Actor, SubjectKeyMissing, format_instant, load_data_key, utcnow

SCHEMA = "prefcenter.export"
SCHEMA_VERSION = "1.2"
INTERACTION_COLUMNS = [
    "id",
    "occurred_at",
    "channel",
    "touchpoint",
    "direction",
    "topic",
    "summary",
    "outcome",
    "handle_seconds",
    "agent",
    "continues",
    "actor_type",
    "actor_id",
]


def _t(moment) -> str | None:
    return format_instant(moment) if moment is not None else None


async def build_document(session, keys, subject_id: str, request: DsrRequest | None = None) -> dict:
    """The export document; reads with a few set-based queries (no per-event round trips)."""
    subject = await session.get(Subject, subject_id)
    if subject is None:
        raise Gone(f"subject {subject_id} does not exist")
    try:
        key = await load_data_key(session, keys, subject_id)
    except SubjectKeyMissing:
        raise Gone(f"subject {subject_id} was erased; nothing is left to export", reason="erased") from None
    aad = subject_id.encode()
    identities = [
        {
            "kind": i.kind,
            "value": crypto.unseal(key, i.sealed_value, aad=aad).decode(),
            "added_at": _t(i.added_at),
        }
        for i in (
            await session.execute(
                select(Identity).where(Identity.subject_id == subject_id).order_by(Identity.added_at)
            )
        ).scalars()
    ]
    preferences = [
        {"channel": p.channel, "topic": p.topic, "status": p.status, "updated_at": _t(p.updated_at)}
        for p in (
            await session.execute(
                select(Preference)
                .where(Preference.subject_id == subject_id)
                .order_by(Preference.channel, Preference.topic)
            )
        ).scalars()
    ]
    consent_rows = (
        (
            await session.execute(
                select(Consent).where(Consent.subject_id == subject_id).order_by(Consent.granted_at)
            )
        )
        .scalars()
        .all()
    )
    notices = {}
    if consent_rows:
        topics = {c.topic for c in consent_rows}
        for n in (await session.execute(select(Notice).where(Notice.topic_key.in_(topics)))).scalars():
            notices[(n.topic_key, n.locale, n.version)] = n
    consents = []
    for c in consent_rows:
        notice = notices.get((c.topic, c.locale or DEFAULT_LOCALE, c.notice_version))
        consents.append(
            {
                "id": c.id,
                "topic": c.topic,
                "channels": list(c.channels),
                "status": c.status,
                "is_current": bool(c.is_current),
                "notice_version": c.notice_version,
                "notice_sha256": notice.sha256 if notice else None,
                "notice_text": notice.text if notice else None,
                "method": c.method,
                "touchpoint": c.touchpoint,
                "actor_type": c.actor_type,
                "actor_id": c.actor_id,
                "granted_at": _t(c.granted_at),
                "confirmed_at": _t(c.confirmed_at),
                "withdrawn_at": _t(c.withdrawn_at),
                "expires_at": _t(c.expires_at),
                "superseded_by": c.superseded_by,
                "evidence": crypto.unseal_json(key, c.evidence_sealed) if c.evidence_sealed else None,
            }
        )
    interactions = await export_interactions(session, key, subject_id)
    feedback = await export_feedback(session, key, subject_id)
    event_rows = (
        await session.execute(
            select(
                Event.seq,
                Event.occurred_at,
                Event.type,
                Event.actor_type,
                Event.actor_id,
                Event.touchpoint,
                Event.data,
                Event.sealed,
                Event.hash,
            )
            .where(Event.subject_id == subject_id)
            .order_by(Event.seq)
        )
    ).all()
    decode = msgspec.json.decode
    events = [
        {
            "seq": e.seq,
            "occurred_at": e.occurred_at,
            "type": e.type,
            "actor_type": e.actor_type,
            "actor_id": e.actor_id,
            "touchpoint": e.touchpoint,
            "data": decode(e.data),
            "personal": crypto.unseal_json(key, e.sealed) if e.sealed is not None else None,
            "hash": e.hash,
        }
        for e in event_rows
    ]
    requests = (
        (
            await session.execute(
                select(DsrRequest).where(DsrRequest.subject_id == subject_id).order_by(DsrRequest.received_at)
            )
        )
        .scalars()
        .all()
    )
    history: dict[str, list] = {}
    if requests:
        for h in (
            await session.execute(
                select(DsrHistory)
                .where(DsrHistory.request_id.in_([r.id for r in requests]))
                .order_by(DsrHistory.id)
            )
        ).scalars():
            history.setdefault(h.request_id, []).append(
                {
                    "at": _t(h.at),
                    "action": h.action,
                    "from_status": h.from_status,
                    "to_status": h.to_status,
                    "actor_type": h.actor_type,
                    "reason": h.reason,
                }
            )
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": format_instant(utcnow()),
        "request": (
            {"id": request.id, "type": request.type, "received_at": _t(request.received_at)}
            if request
            else None
        ),
        "subject": {
            "id": subject.id,
            "external_id": subject.external_id,
            "created_at": _t(subject.created_at),
            "legal_hold": subject.legal_hold,
            "settings": {
                "do_not_contact": bool(subject.do_not_contact),
                "preferred_channel": subject.preferred_channel,
                "language": subject.language,
                "frequency": subject.frequency,
            },
        },
        "identities": identities,
        "preferences": preferences,
        "consents": consents,
        "interactions": interactions,
        "feedback": feedback,
        "events": events,
        "dsr_requests": [
            {
                "id": r.id,
                "type": r.type,
                "status": r.status,
                "outcome": r.outcome,
                "received_at": _t(r.received_at),
                "due_at": _t(r.due_at),
                "completed_at": _t(r.completed_at),
                "history": history.get(r.id, []),
            }
            for r in requests
        ],
    }


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            neutralise_row(
                msgspec.json.encode(v).decode() if isinstance(v, dict | list) else ("" if v is None else v)
                for v in (row.get(c) for c in columns)
            )
        )
    return out.getvalue().encode()


def zip_document(document: dict, readme: str | None = None) -> bytes:
    """The zip; ``readme`` is the letter to the person (``export_letter``), else the schema alone."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("export.json", msgspec.json.format(msgspec.json.encode(document), indent=2))
        archive.writestr("README.md", readme or f"# prefcenter export\n\n```\n{__doc__}\n```\n")
        archive.writestr("identities.csv", _csv(document["identities"], ["kind", "value", "added_at"]))
        archive.writestr(
            "preferences.csv", _csv(document["preferences"], ["channel", "topic", "status", "updated_at"])
        )
        archive.writestr(
            "consents.csv",
            _csv(
                document["consents"],
                [
                    "id",
                    "topic",
                    "channels",
                    "status",
                    "is_current",
                    "notice_version",
                    "notice_sha256",
                    "method",
                    "touchpoint",
                    "actor_type",
                    "actor_id",
                    "granted_at",
                    "confirmed_at",
                    "withdrawn_at",
                    "expires_at",
                    "superseded_by",
                    "evidence",
                ],
            ),
        )
        archive.writestr("interactions.csv", _csv(document["interactions"], INTERACTION_COLUMNS))
        archive.writestr("feedback.csv", _csv(document["feedback"], FEEDBACK_COLUMNS))
        archive.writestr(
            "events.csv",
            _csv(
                document["events"],
                [
                    "seq",
                    "occurred_at",
                    "type",
                    "actor_type",
                    "actor_id",
                    "touchpoint",
                    "data",
                    "personal",
                    "hash",
                ],
            ),
        )
        archive.writestr(
            "dsr_requests.csv",
            _csv(
                document["dsr_requests"],
                ["id", "type", "status", "outcome", "received_at", "due_at", "completed_at", "history"],
            ),
        )
    return buffer.getvalue()


def encrypt_export(master_key: bytes, export_id: str, data: bytes) -> tuple[bytes, bytes]:
    key = crypto.new_data_key()
    return crypto.wrap_key(master_key, key, export_id), crypto.seal(key, data, aad=export_id.encode())


def decrypt_export(master_key: bytes, export: DsrExport) -> bytes:
    key = crypto.unwrap_key(master_key, export.wrapped_key, export.id)
    return crypto.unseal(key, export.blob, aad=export.id.encode())


async def run_export(ctx, job: Job, worker_id: str) -> None:
    """Idempotent: a request that is no longer verified/in progress, or already has its export, is left alone."""
    request_id = job.payload["request_id"]
    async with ctx.unit_of_work() as uow:
        req = await get_request(uow.session, request_id, for_update=True)
        if req.status not in ("verified", "in_progress"):
            await queue.mark_done(uow.session, [job.id], worker_id)
            return
        if req.status == "verified":
            await transition(uow, req, "in_progress", WORKER, f"{req.type} export started")
    async with ctx.db.read_session() as session:
        if await session.get(SubjectKey, req.subject_id) is None:
            raise RuntimeError("the subject was erased before its export was built")
        document = await build_document(session, ctx.keys, req.subject_id, req)
        facts = await letter_facts(
            session, document, ctx.settings.company.name, ctx.settings.dsr.export_retention_seconds
        )
    export_id = str(uuid.uuid4())
    data = zip_document(document, write_letter(document, facts, __doc__ or ""))
    wrapped, blob = encrypt_export(ctx.keys.master_key, export_id, data)
    async with ctx.unit_of_work() as uow:
        req = await get_request(uow.session, request_id, for_update=True)
        existing = (
            await uow.session.execute(select(DsrExport.id).where(DsrExport.request_id == req.id))
        ).scalar()
        if req.status != "in_progress" or existing is not None:
            await queue.mark_done(uow.session, [job.id], worker_id)
            return
        uow.session.add(
            DsrExport(
                id=export_id,
                request_id=req.id,
                subject_id=req.subject_id,
                schema_version=SCHEMA_VERSION,
                master_key_id=ctx.keys.master_key_id,
                wrapped_key=wrapped,
                blob=blob,
                size_bytes=len(data),
                created_at=uow.now,
                expires_at=uow.now + timedelta(seconds=ctx.settings.dsr.export_retention_seconds),
            )
        )
        req.outcome = "exported"
        await uow.append_event(
            "dsr.export_ready",
            actor=WORKER,
            subject_id=req.subject_id,
            data={
                "request_id": req.id,
                "export_id": export_id,
                "schema_version": SCHEMA_VERSION,
                "events": len(document["events"]),
                "size_bytes": len(data),
            },
        )
        await transition(uow, req, "completed", WORKER, "export ready for download")
        await queue.mark_done(uow.session, [job.id], worker_id)


# --- signed, single-use, expiring download links --------------------------------------------------------


def _link_signature(master_key: bytes, link_id: str) -> str:
    key = hmac.new(master_key, b"prefcenter:export-link", hashlib.sha256).digest()
    mac = hmac.new(key, link_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


async def create_link(uow, actor, request_id: str, ttl_seconds: int) -> tuple[str, ExportLink]:
    """A new download link for a completed export; returns ``(token, link)``."""
    req = await get_request(uow.session, request_id)
    export = (
        await uow.session.execute(select(DsrExport).where(DsrExport.request_id == req.id))
    ).scalar_one_or_none()
    if export is None:
        raise Conflict(
            f"the request is {req.status}; there is no export to download (yet)", reason="no_export"
        )
    link = ExportLink(
        id=str(uuid.uuid4()),
        export_id=export.id,
        created_at=uow.now,
        expires_at=min(uow.now + timedelta(seconds=ttl_seconds), export.expires_at),
        actor_id=actor.id,
    )
    uow.session.add(link)
    await uow.append_event(
        "dsr.export_link_created",
        actor=actor,
        subject_id=req.subject_id,
        data={
            "request_id": req.id,
            "export_id": export.id,
            "link_id": link.id,
            "expires_at": _t(link.expires_at),
        },
    )
    return f"{link.id}.{_link_signature(uow.keys.master_key, link.id)}", link


async def check_link(session, keys, token: str) -> ExportLink:
    """The link a token names, if it can be used now (signature, expiry, not used yet); else the refusal
    (Forbidden: not a valid link; Gone: expired, used, or its export is gone). Changes nothing."""
    link_id, _, signature = token.partition(".")
    try:
        uuid.UUID(link_id)
    except ValueError:
        raise Forbidden("this download link is not valid", reason="bad_link") from None
    # signed by the current master key, or (during a rotation) by the previous one that minted it
    master_keys = (keys.master_key, *keys.previous_master_keys)
    if not any(hmac.compare_digest(signature, _link_signature(key, link_id)) for key in master_keys):
        raise Forbidden("this download link is not valid (bad signature)", reason="bad_link")
    link = await session.get(ExportLink, link_id)
    if link is None:
        raise Gone(
            "this download link no longer exists (the export expired or the subject was erased)",
            reason="link_gone",
        )
    if link.used_at is not None:
        raise Gone("this download link was used already; ask an officer for a new one", reason="link_used")
    if link.expires_at < utcnow():
        raise Gone("this download link expired; ask an officer for a new one", reason="link_expired")
    return link


async def redeem_link(uow, token: str) -> tuple[DsrExport, bytes]:
    """Check a link (signature, expiry, single use), record the download in the audit log, decrypt."""
    link = await check_link(uow.session, uow.keys, token)
    export = await uow.session.get(DsrExport, link.export_id)
    if export is None:
        raise NotFound("the export no longer exists")
    claimed = await uow.session.execute(
        update(ExportLink)
        .where(ExportLink.id == link.id, ExportLink.used_at.is_(None))
        .values(used_at=uow.now)
    )
    if claimed.rowcount != 1:
        raise Gone("this download link was used already; ask an officer for a new one", reason="link_used")
    await uow.append_event(
        "dsr.export_downloaded",
        actor=uow_actor(link),
        subject_id=export.subject_id,
        data={"request_id": export.request_id, "export_id": export.id, "link_id": link.id},
    )
    return export, decrypt_export(uow.keys.master_key_by_id(export.master_key_id), export)


def uow_actor(link: ExportLink) -> Actor:
    return Actor("client", link.actor_id)
