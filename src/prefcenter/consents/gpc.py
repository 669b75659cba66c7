"""Honouring Global Privacy Control on the server, once per subject, the same way the widget does.

The widget applies GPC itself (``navigator.globalPrivacyControl``): one PATCH with ``reason: "gpc"``
and withdrawals with ``method: "gpc"``. The server does the same when a customer's write carries
``Sec-GPC: 1``: the route reads the signal (``gpc_signal``) and, in the write's own unit of work, right
after locking the subject (and checking ``If-Match`` against the state the customer saw) and before the
write itself, calls ``honour_gpc``. So the GPC opt-outs and the write commit or roll back together, and
the write's answer (its ETag) already includes them. ``gpc.honoured`` is recorded so it happens once per
subject: afterwards the customer's own explicit choices win. The widget's own GPC writes that follow are
then no-ops (an unchanged preference appends no event; a GPC withdrawal of a consent that is withdrawn
already answers 200), so nothing is recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import select

from prefcenter.auth.principal import Principal
from prefcenter.consents import service as consents
from prefcenter.consents.schemas import ConsentWithdraw
from prefcenter.store.models import Consent, Event, Preference, Topic
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.store.write_statements import LockedSubject
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceItem, PreferencesUpdate

log = structlog.get_logger("prefcenter.gpc")
MARKER = "gpc.honoured"


@dataclass(frozen=True, slots=True)
class GpcSignal:
    """The customer's own browser sent ``Sec-GPC: 1`` with this write."""

    actor: Actor
    touchpoint: str


def gpc_signal(principal: Principal, sec_gpc: str | None, honour_header: bool) -> GpcSignal | None:
    """The signal to honour with this write: ``Sec-GPC: 1`` from a customer's own subject token (an agent's
    browser is not the customer's; API clients send no customer signal), unless the setting turns it off."""
    if not honour_header or (sec_gpc or "").strip() != "1":
        return None
    if principal.kind != "subject" or principal.mode == "agent":
        return None
    return GpcSignal(principal.actor, principal.touchpoint or "web")


async def already_honoured(uow: UnitOfWork, subject_id: str) -> bool:
    row = await uow.session.execute(
        select(Event.seq).where(Event.subject_id == subject_id, Event.type == MARKER).limit(1)
    )
    return row.first() is not None


async def honour_gpc(uow: UnitOfWork, subject: LockedSubject, signal: GpcSignal | None) -> list[str] | None:
    """With a signal, opt the (locked) subject's honour_gpc topics out in this unit of work, before the write
    it accompanies; None without a signal or when GPC was honoured for this subject before."""
    if signal is None:
        return None
    actor, touchpoint, subject_id = signal.actor, signal.touchpoint, subject.id
    if await already_honoured(uow, subject_id):
        return None
    topics = (await uow.session.execute(select(Topic).where(Topic.honour_gpc.is_(True)))).scalars().all()
    prefs = {
        (p.channel, p.topic): p.status
        for p in (
            await uow.session.execute(select(Preference).where(Preference.subject_id == subject_id))
        ).scalars()
    }
    active = {}
    for topic_key, consent_id in await uow.session.execute(
        select(Consent.topic, Consent.id).where(
            Consent.subject_id == subject_id,
            Consent.is_current.is_(True),
            Consent.status.in_(consents.ACTIVE),
        )
    ):
        active.setdefault(topic_key, []).append(consent_id)

    def opted_out(topic: Topic, channel: str) -> bool:
        own = prefs.get((channel, topic.key))
        if own is not None:
            return own == "opted_out"
        return not topic.allow_when_channel_opted_out and prefs.get((channel, "*")) == "opted_out"

    chosen = [
        t
        for t in sorted(topics, key=lambda t: t.key)
        if active.get(t.key)
        or (t.legal_basis != "consent" and not all(opted_out(t, ch) for ch in t.channels))
    ]
    items = [
        PreferenceItem(channel=ch, topic=t.key, status="opted_out")
        for t in chosen
        for ch in t.channels
        if prefs.get((ch, t.key)) != "opted_out"
    ]
    if items:
        await subjects.update_preferences(
            uow,
            actor,
            subject_id,
            PreferencesUpdate(touchpoint=touchpoint, reason="gpc", items=items),
            None,
        )
    withdrawals = [cid for t in chosen for cid in active.get(t.key, [])]
    for consent_id in withdrawals:
        await consents.withdraw(
            uow,
            actor,
            subject_id,
            consent_id,
            ConsentWithdraw(touchpoint=touchpoint, method="gpc", reason="gpc"),
        )
    if withdrawals and not items:
        uow.bump_revision(subject)
    await uow.append_event(
        MARKER,
        actor=actor,
        subject_id=subject_id,
        touchpoint=touchpoint,
        data={"topics": [t.key for t in chosen], "source": "sec-gpc-header"},
    )
    log.info("gpc.honoured", subject_id=subject_id, topics=[t.key for t in chosen])
    return [t.key for t in chosen]
