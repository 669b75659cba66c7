"""Consent use cases: grant (or ask for double opt-in), confirm, withdraw, expire; each with a signed receipt."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.catalog.service import write_catalog
from prefcenter.consents.schemas import ConsentConfirm, ConsentGrant, ConsentRead, ConsentWithdraw, Evidence
from prefcenter.core import crypto
from prefcenter.core.decisions import consent_expiry
from prefcenter.core.receipts import issue_receipt
from prefcenter.errors import Conflict, InvalidInput, NotFound
from prefcenter.i18n import DEFAULT_LOCALE
from prefcenter.store.models import Consent, Event, Subject
from prefcenter.store.unit_of_work import SYSTEM, Actor, NewEvent, UnitOfWork, format_instant
from prefcenter.store.write_statements import (
    ConsentRecord,
    TransactionStatements,
    consent_record,
    consent_update,
    lapsed_consents,
    lock_subject_rows,
    replace_current_consent,
    unconfirmed_consents,
    update_consent,
)

ACTIVE = ("granted", "pending_confirmation")


def consent_read(c: Consent | ConsentRecord, receipt: str | None = None) -> ConsentRead:
    return ConsentRead(
        id=c.id,
        topic=c.topic,
        channels=list(c.channels),
        status=c.status,
        notice_version=c.notice_version,
        method=c.method,
        touchpoint=c.touchpoint,
        granted_at=c.granted_at,
        confirmed_at=c.confirmed_at,
        expires_at=c.expires_at,
        withdrawn_at=c.withdrawn_at,
        receipt=receipt,
        locale=c.locale,
        notice_sha256=c.notice_sha256,
    )


async def read_consents(session: AsyncSession, subject_id: str) -> list[ConsentRead]:
    rows = await session.execute(
        select(Consent)
        .where(Consent.subject_id == subject_id, Consent.is_current.is_(True))
        .order_by(Consent.topic)
    )
    return [consent_read(c) for c in rows.scalars()]


# The events that answer with a receipt, and the consent's status each leaves.
RECEIPT_EVENTS = {
    "consent.granted": "granted",
    "consent.pending_confirmation": "pending_confirmation",
    "consent.confirmed": "granted",
    "consent.withdrawn": "withdrawn",
}


def _receipt(uow: UnitOfWork, consent: ConsentRecord, event_seq: int, event_type: str) -> str:
    return _signed(
        uow.keys.signing_key, consent, event_seq, event_type, consent.status, format_instant(uow.now)
    )


async def reissued_receipts(session: AsyncSession, signing_key: bytes, subject_id: str) -> dict[str, str]:
    """The signed receipt of each of the subject's current consents, issued again from its last event that
    answered with one: the same claims, so the same token as the answer gave then (Ed25519 signs
    deterministically) while the signing key is unchanged."""
    current = {
        c.id: c
        for c in (
            await session.execute(
                select(Consent).where(Consent.subject_id == subject_id, Consent.is_current.is_(True))
            )
        ).scalars()
    }
    events = await session.execute(
        select(Event.seq, Event.type, Event.occurred_at, Event.data)
        .where(Event.subject_id == subject_id, Event.type.in_(RECEIPT_EVENTS))
        .order_by(Event.seq)
    )
    last: dict[str, tuple[int, str, str]] = {}
    for seq, event_type, occurred_at, data in events:
        consent_id = msgspec.json.decode(data).get("consent_id")
        if consent_id in current:
            last[consent_id] = (seq, event_type, occurred_at)
    return {
        consent_id: _signed(signing_key, current[consent_id], seq, event_type, RECEIPT_EVENTS[event_type], at)
        for consent_id, (seq, event_type, at) in last.items()
    }


def _signed(
    signing_key: bytes,
    consent: Consent | ConsentRecord,
    event_seq: int,
    event_type: str,
    status: str,
    at: str,
) -> str:
    return issue_receipt(
        signing_key,
        {
            "iss": "prefcenter",
            "sub": consent.subject_id,
            "consent_id": consent.id,
            "event": event_type,
            "event_seq": event_seq,
            "topic": consent.topic,
            "channels": list(consent.channels),
            "status": status,
            "notice_version": consent.notice_version,
            "method": consent.method,
            "touchpoint": consent.touchpoint,
            "at": at,
        },
    )


async def _get(uow: UnitOfWork, subject_id: str, consent_id: str) -> ConsentRecord:
    consent = await consent_record(await uow.statements(), consent_id)
    if consent is None or consent.subject_id != subject_id:
        raise NotFound(f"no consent {consent_id} for this subject")
    return consent


async def grant(
    uow: UnitOfWork, actor: Actor, subject_id: str, body: ConsentGrant, evidence: Evidence | None
) -> ConsentRead:
    catalog = await write_catalog(uow)
    topic = catalog.topics.get(body.topic)
    if topic is None:
        raise InvalidInput(f"unknown topic {body.topic}")
    if topic.legal_basis != "consent":
        raise InvalidInput(
            f"topic {body.topic} rests on {topic.legal_basis}, not consent; record an opt-out preference instead"
        )
    channels = sorted(set(body.channels))
    not_offered = sorted(set(channels) - set(topic.channels))
    if not_offered:
        raise InvalidInput(f"topic {body.topic} is not offered on {', '.join(not_offered)}")
    locale = body.notice_locale or DEFAULT_LOCALE
    notice_sha256 = catalog.notices.get((body.topic, locale, body.notice_version))
    if notice_sha256 is None:
        raise InvalidInput(f"topic {body.topic} has no notice version {body.notice_version} in {locale}")

    needs_confirmation = topic.double_opt_in and "email" in channels and body.method not in ("import",)
    status = "pending_confirmation" if needs_confirmation else "granted"
    consent = ConsentRecord(
        id=str(uuid.uuid4()),
        subject_id=subject_id,
        topic=body.topic,
        channels=channels,
        status=status,
        is_current=True,
        notice_version=body.notice_version,
        method=body.method,
        touchpoint=body.touchpoint,
        actor_type=actor.type,
        actor_id=actor.id,
        granted_at=uow.now,
        confirmed_at=None,
        withdrawn_at=None,
        expires_at=consent_expiry(uow.now, topic.consent_lifetime_days),
        superseded_by=None,
        evidence_sealed=(
            crypto.seal_json(await uow.data_key(subject_id), _evidence_dict(evidence)) if evidence else None
        ),
        locale=locale,
        notice_sha256=notice_sha256,
    )
    # the one current record per subject x topic: the old one is superseded by the new one
    supersedes, writes = await replace_current_consent(await uow.statements(), consent)
    event_type = "consent.pending_confirmation" if needs_confirmation else "consent.granted"
    event_seq = await uow.append_event(
        event_type,
        actor=actor,
        subject_id=subject_id,
        touchpoint=body.touchpoint,
        data={
            "consent_id": consent.id,
            "topic": body.topic,
            "channels": channels,
            "notice_version": body.notice_version,
            "notice_sha256": notice_sha256,
            "locale": locale,
            "method": body.method,
            "status": status,
            "expires_at": format_instant(consent.expires_at) if consent.expires_at else None,
            "supersedes": supersedes,
        },
        sealed={"evidence": _evidence_dict(evidence)} if evidence else None,
        writes=writes,
    )
    return consent_read(consent, _receipt(uow, consent, event_seq, event_type))


async def withdraw(
    uow: UnitOfWork, actor: Actor, subject_id: str, consent_id: str, body: ConsentWithdraw
) -> ConsentRead:
    consent = await _get(uow, subject_id, consent_id)
    if not consent.is_current:
        raise Conflict(
            "this consent was superseded by a newer one; withdraw the current one", reason="superseded"
        )
    if consent.status == "withdrawn" and (body.method == "gpc" or consent.withdrawn_at == uow.now):
        # Sec-GPC was honoured server-side already (consents.gpc, earlier or just now in this unit of work,
        # before this write): the widget's own GPC run, or the customer's own withdrawal, is then a no-op.
        return consent_read(consent)
    if consent.status not in ACTIVE:
        raise Conflict(f"this consent is {consent.status} already", reason=consent.status)
    withdrawal = consent_update(await uow.statements(), consent, status="withdrawn", withdrawn_at=uow.now)
    event_seq = await uow.append_event(
        "consent.withdrawn",
        actor=actor,
        subject_id=subject_id,
        touchpoint=body.touchpoint,
        data={"consent_id": consent.id, "topic": consent.topic, "method": body.method, "reason": body.reason},
        writes=[withdrawal],
    )
    return consent_read(consent, _receipt(uow, consent, event_seq, "consent.withdrawn"))


async def confirm(
    uow: UnitOfWork,
    actor: Actor,
    subject_id: str,
    consent_id: str,
    body: ConsentConfirm,
    pending_days: int | None = None,
) -> ConsentRead:
    """Confirm a double opt-in; ``pending_days``: an older unconfirmed consent has expired (409 expired)."""
    consent = await _get(uow, subject_id, consent_id)
    if consent.status == "granted" and consent.confirmed_at is not None:
        return consent_read(consent)  # confirming twice is harmless
    if consent.status != "pending_confirmation" or not consent.is_current:
        raise Conflict(
            f"this consent is {consent.status}; only a pending one can be confirmed", reason=consent.status
        )
    if pending_days is not None and consent.granted_at + timedelta(days=pending_days) <= uow.now:
        raise Conflict(
            f"this consent was not confirmed within {pending_days} days and has expired", reason="expired"
        )
    if consent.expires_at is not None and consent.expires_at <= uow.now:
        raise Conflict("this consent expired before it was confirmed", reason="expired")
    confirmation = consent_update(await uow.statements(), consent, status="granted", confirmed_at=uow.now)
    event_seq = await uow.append_event(
        "consent.confirmed",
        actor=actor,
        subject_id=subject_id,
        touchpoint=body.touchpoint,
        data={"consent_id": consent.id, "topic": consent.topic},
        writes=[confirmation],
    )
    return consent_read(consent, _receipt(uow, consent, event_seq, "consent.confirmed"))


def _evidence_dict(evidence: Evidence | None) -> dict:
    if evidence is None:
        return {}
    return {
        k: v
        for k, v in (
            ("ip", evidence.ip),
            ("user_agent", evidence.user_agent),
            ("note", evidence.note),
            ("form_reference", evidence.form_reference),
        )
        if v is not None
    }


async def expire_lapsed(uow: UnitOfWork, limit: int = 1000) -> list[str]:
    """Mark granted consents past their lifetime (``expires_at``) as expired, one audited event each.

    Checks already deny them (``consent_expired``) from the moment they lapse; this makes the stored status
    and the history say so too.
    """
    rows = await _read_under_subject_locks(uow, lambda s: lapsed_consents(s, uow.now, limit))
    return [await mark_expired(uow, consent, "lifetime_ended") for consent in rows]


async def expire_unconfirmed(uow: UnitOfWork, pending_days: int, limit: int = 1000) -> list[str]:
    """Mark pending consents older than ``pending_days`` as expired, one audited event each."""
    cutoff = uow.now - timedelta(days=pending_days)
    rows = await _read_under_subject_locks(uow, lambda s: unconfirmed_consents(s, cutoff, limit))
    return [await mark_expired(uow, consent, "not_confirmed") for consent in rows]


async def _read_under_subject_locks(
    uow: UnitOfWork, read: Callable[[TransactionStatements], Awaitable[list[ConsentRecord]]]
) -> list[ConsentRecord]:
    """The consents ``read`` finds, read again once their subjects are locked (``lock_subject_rows``), those
    of locked subjects only: a sweep then takes its locks in the order every write does (the subject, its
    consent records, the chain last: ``mark_expired`` holds its events back), so it cannot deadlock with a
    write on one of its subjects, and it never overwrites a record changed since it first looked."""
    statements = await uow.statements()
    found = await read(statements)
    if not found:
        return []
    locked = set(await lock_subject_rows(statements, {c.subject_id for c in found}))
    return [c for c in await read(statements) if c.subject_id in locked]


async def mark_expired(uow: UnitOfWork, consent: ConsentRecord, reason: str) -> str:
    """Set one consent ``expired`` (by the system, with ``reason``), audit it and bump the subject's revision.
    The event is held back to the end of the unit of work (the chain lock taken last)."""
    await update_consent(await uow.statements(), consent, status="expired")
    subject = await uow.session.get(Subject, consent.subject_id)
    if subject is not None:
        uow.bump_revision(subject)
    await uow.append_events(
        [
            NewEvent(
                "consent.expired",
                SYSTEM,
                subject_id=consent.subject_id,
                data={"consent_id": consent.id, "topic": consent.topic, "reason": reason},
            )
        ]
    )
    return consent.id


async def expire_due(ctx) -> int:
    """The worker's sweep: lapsed consents and double opt-ins never confirmed. Returns how many expired."""
    async with ctx.unit_of_work() as uow:
        lapsed = await expire_lapsed(uow)
        unconfirmed = await expire_unconfirmed(uow, ctx.settings.widget.doi_pending_days)
    return len(lapsed) + len(unconfirmed)
