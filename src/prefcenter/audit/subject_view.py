"""What a subject token (the widget, the hosted ``/p/`` page) may see of its own audit history. Pure.

The person sees what was done with their preferences, consents and requests, not how the company works on
them: no officer or staff notes, no internal DSR steps (duplicates, exports, downstream systems, legal
hold), no staff, agent or client ids. The rule fails closed: an event type not listed here (a new one
included) is not shown to the subject until someone decides it should be, and only the listed ``data``
keys of a shown event are kept.
"""

from __future__ import annotations

from prefcenter.audit.schemas import EventRead

GRANT_KEYS = frozenset(
    {
        "consent_id",
        "topic",
        "channels",
        "notice_version",
        "notice_sha256",
        "method",
        "status",
        "expires_at",
        "supersedes",
    }
)
# event type -> the data keys the subject sees. Never listed: ``interaction.recorded`` (contacts are the
# company's context for its staff; a customer's token reads them nowhere, tests/interactions/).
VISIBLE: dict[str, frozenset[str]] = {
    "subject.created": frozenset({"language"}),
    "identity.added": frozenset({"kind"}),
    "preference.set": frozenset({"channel", "topic", "status", "previous", "reason"}),
    "subject.settings_changed": frozenset(
        {"do_not_contact", "preferred_channel", "language", "frequency", "reason"}
    ),
    "consent.granted": GRANT_KEYS,
    "consent.pending_confirmation": GRANT_KEYS,
    "consent.confirmation_sent": frozenset({"consent_id", "topic"}),
    "consent.confirmed": frozenset({"consent_id", "topic"}),
    "consent.withdrawn": frozenset({"consent_id", "topic", "method", "reason"}),
    "consent.expired": frozenset({"consent_id", "topic", "reason"}),  # reason: a code (not_confirmed, ...)
    "gpc.honoured": frozenset({"topics", "source"}),
    "import.row": frozenset({"created", "identities_added", "do_not_contact", "preferences", "consents"}),
    "dsr.received": frozenset({"request_id", "type", "due_at"}),
    "dsr.status_changed": frozenset({"request_id", "type", "from", "to"}),  # "reason" holds officer notes
    # GDPR Art. 12(3): the subject is told of an extension and why (the reason is written to be told)
    "dsr.extended": frozenset({"request_id", "months", "to", "reason"}),
    "subject.links_revoked": frozenset({"links_not_before"}),
}

# Free text people write ("reason"): shown only when the subject wrote it themselves. A staff member's,
# agent's or client's reason is their note, not the subject's.
WRITTEN_BY_ACTOR = frozenset({"reason"})
FREE_TEXT_TYPES = frozenset({"preference.set", "subject.settings_changed", "consent.withdrawn"})


def visible_types() -> list[str]:
    return sorted(VISIBLE)


def for_subject(event: EventRead) -> EventRead | None:
    """The event as the subject sees it, or None when it is not theirs to see."""
    keys = VISIBLE.get(event.type)
    if keys is None:
        return None
    own = event.actor_type == "customer"
    if event.type in FREE_TEXT_TYPES and not own:
        keys = keys - WRITTEN_BY_ACTOR
    return EventRead(
        seq=event.seq,
        occurred_at=event.occurred_at,
        type=event.type,
        actor_type=event.actor_type,
        actor_id=event.actor_id if own else None,
        touchpoint=event.touchpoint,
        data={k: v for k, v in event.data.items() if k in keys},
        hash=event.hash,
    )
