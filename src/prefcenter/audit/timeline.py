"""One person's timeline across every touchpoint and channel, read from the audit log (the console's view).

Every change to a person is an event of theirs (``ix_events_subject_seq``): preferences, settings and
consents, GDPR request steps, contacts (``interaction.recorded``). The timeline lists them newest first,
each with a readable title, a short detail, the actor, the touchpoint and the channels it concerns, filtered
by touchpoint (in SQL) and by channel. Staff access to the person (``staff.*``: views, reveals) is the
audit log's business, not the person's story, so it is left out; so are DSR and legal hold events for a
reader who may not see them. Sealed fields are never opened here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core.labels import readable
from prefcenter.store.models import Event

MAX_ENTRIES = 200
# scanned per page before the channel filter (which reads the event's data) keeps what it names
SCAN_LIMIT = 2000

TITLES = {
    "subject.created": "Profile created",
    "subject.settings_changed": "Settings changed",
    "subject.erased": "Erased",
    "subject.links_revoked": "Email links revoked",
    "subject.legal_hold_set": "Legal hold set",
    "subject.legal_hold_released": "Legal hold released",
    "identity.added": "Identity added",
    "preference.set": "Preference changed",
    "consent.granted": "Consent given",
    "consent.pending_confirmation": "Consent awaiting confirmation",
    "consent.confirmation_sent": "Confirmation email sent",
    "consent.confirmed": "Consent confirmed",
    "consent.withdrawn": "Consent withdrawn",
    "consent.expired": "Consent expired",
    "gpc.honoured": "Global Privacy Control honoured",
    "import.row": "Imported",
    "interaction.recorded": "Contact",
    "dsr.received": "GDPR request received",
    "dsr.status_changed": "GDPR request moved on",
    "dsr.extended": "GDPR request deadline extended",
}
OFFICER_ONLY_PREFIXES = ("dsr.", "subject.legal_hold")


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    type: str
    title: str
    detail: str
    actor_type: str
    actor_id: str | None
    touchpoint: str | None
    channels: tuple[str, ...]
    interaction_id: str | None  # a contact: its summary is read (unsealed) by whoever may see it


def _channels(data: dict) -> tuple[str, ...]:
    named = data.get("channels")
    if isinstance(named, list):
        return tuple(str(c) for c in named)
    for key in ("channel", "preferred_channel"):
        if isinstance(data.get(key), str):
            return (data[key],)
    return ()


def _status(value: object) -> str:
    return readable(value).lower() if value else "none"


def _detail(event_type: str, data: dict) -> str:
    """A short line saying what changed (from the event's plain data only)."""
    if event_type == "preference.set":
        was = f" (was {_status(data.get('previous'))})" if data.get("previous") else ""
        return f"{data.get('topic')} on {data.get('channel')}: {_status(data.get('status'))}{was}"
    if event_type == "subject.settings_changed":
        changed = [f"{readable(k)}: {v}" for k, v in data.items() if k != "reason"]
        return "; ".join(changed)
    if event_type.startswith("consent."):
        parts = [str(data.get("topic") or "")]
        if data.get("channels"):
            parts.append("on " + ", ".join(data["channels"]))
        if data.get("notice_version"):
            parts.append(f"notice v{data['notice_version']}")
        if data.get("method"):
            parts.append(f"method {readable(data['method']).lower()}")
        if event_type in ("consent.withdrawn", "consent.expired") and data.get("reason"):
            parts.append(f"reason: {data['reason']}")
        return ", ".join(p for p in parts if p)
    if event_type == "interaction.recorded":
        parts = [readable(data.get("direction") or "")]
        if data.get("topic"):
            parts.append(f"about {data['topic']}")
        if data.get("outcome"):
            parts.append(f"({readable(data['outcome']).lower()})")
        if data.get("handle_seconds") is not None:
            parts.append(f"{data['handle_seconds'] // 60} min {data['handle_seconds'] % 60} s")
        if data.get("continues"):
            parts.append("continues an earlier contact")
        return " ".join(p for p in parts if p)
    if event_type == "dsr.status_changed":
        return f"{readable(data.get('type') or '')}: {readable(data.get('from') or '')} → {readable(data.get('to') or '')}"
    if event_type == "dsr.received":
        return readable(data.get("type") or "")
    if event_type == "identity.added":
        return readable(data.get("kind") or "")
    if event_type == "gpc.honoured":
        return ", ".join(data.get("topics") or [])
    return ""


def timeline_entry(
    seq: int,
    occurred_at: str,
    event_type: str,
    actor_type: str,
    actor_id: str | None,
    touchpoint: str | None,
    data: dict,
) -> TimelineEntry:
    return TimelineEntry(
        seq=seq,
        at=datetime.fromisoformat(occurred_at),
        type=event_type,
        title=TITLES.get(event_type, readable(event_type)),
        detail=_detail(event_type, data),
        actor_type=actor_type,
        actor_id=actor_id,
        touchpoint=touchpoint,
        channels=_channels(data),
        interaction_id=data.get("interaction_id") if event_type == "interaction.recorded" else None,
    )


async def subject_timeline(
    session: AsyncSession,
    subject_id: str,
    *,
    channel: str | None = None,
    touchpoint: str | None = None,
    with_requests: bool = False,
    limit: int = MAX_ENTRIES,
) -> list[TimelineEntry]:
    """The person's events, newest first, at most ``limit``; ``with_requests``: DSR and legal hold steps too."""
    statement = select(
        Event.seq,
        Event.occurred_at,
        Event.type,
        Event.actor_type,
        Event.actor_id,
        Event.touchpoint,
        Event.data,
    ).where(Event.subject_id == subject_id, Event.type.not_like("staff.%"))
    if touchpoint is not None:
        statement = statement.where(Event.touchpoint == touchpoint)
    rows = await session.execute(statement.order_by(Event.seq.desc()).limit(SCAN_LIMIT))
    entries: list[TimelineEntry] = []
    for seq, occurred_at, event_type, actor_type, actor_id, event_touchpoint, data in rows:
        if not with_requests and event_type.startswith(OFFICER_ONLY_PREFIXES):
            continue
        entry = timeline_entry(
            seq, occurred_at, event_type, actor_type, actor_id, event_touchpoint, msgspec.json.decode(data)
        )
        if channel is not None and channel not in entry.channels:
            continue
        entries.append(entry)
        if len(entries) >= limit:
            break
    return entries
