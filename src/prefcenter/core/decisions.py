"""The consent decision (the hot path), DESIGN section 2. Pure: no I/O, no clock.

Naive datetimes are treated as UTC (SQLite hands back naive values), so ``now`` and
stored timestamps can always be compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class LegalBasis(StrEnum):
    consent = "consent"
    legitimate_interest = "legitimate_interest"
    contract = "contract"
    legal_obligation = "legal_obligation"


class Reason(StrEnum):
    # allowed
    consent = "consent"
    legitimate_interest = "legitimate_interest"
    contract = "contract"
    legal_obligation = "legal_obligation"
    # denied
    unknown_subject = "unknown_subject"
    erased = "erased"
    do_not_contact = "do_not_contact"
    channel_opted_out = "channel_opted_out"
    channel_not_allowed_for_topic = "channel_not_allowed_for_topic"
    no_consent = "no_consent"
    consent_withdrawn = "consent_withdrawn"
    consent_expired = "consent_expired"
    pending_confirmation = "pending_confirmation"
    objected = "objected"
    topic_opted_out = "topic_opted_out"
    unknown_topic = "unknown_topic"
    unknown_channel = "unknown_channel"


# The refusals that are the person's own choice (an opt-out, an objection, a withdrawal, "contact me about
# nothing"), as against no consent yet, expiry, erasure or the catalog: what insights count as opted out.
REFUSED_BY_THE_PERSON = frozenset(
    {
        Reason.do_not_contact,
        Reason.channel_opted_out,
        Reason.topic_opted_out,
        Reason.objected,
        Reason.consent_withdrawn,
    }
)

CONSENT_STATUSES = ("granted", "withdrawn", "pending_confirmation", "expired")
OPTED_IN = "opted_in"
OPTED_OUT = "opted_out"
ALL_CHANNELS = "*"

_CHANNEL_OPT_OUT_EXEMPT_BASES = (LegalBasis.contract, LegalBasis.legal_obligation)


@dataclass(frozen=True, slots=True)
class TopicRule:
    key: str
    legal_basis: LegalBasis
    channels: frozenset[str]
    allow_when_channel_opted_out: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "legal_basis", LegalBasis(self.legal_basis))
        object.__setattr__(self, "channels", frozenset(self.channels))


@dataclass(frozen=True, slots=True)
class ConsentState:
    id: str
    status: str  # "granted" | "withdrawn" | "pending_confirmation" | "expired"
    channels: frozenset[str]
    notice_version: int | None
    granted_at: datetime | None
    expires_at: datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", frozenset(self.channels))


@dataclass(frozen=True, slots=True)
class SubjectState:
    subject_id: str
    erased: bool = False
    do_not_contact: bool = False
    channel_opt_outs: frozenset[str] = frozenset()
    # (channel, topic) -> "opted_in" | "opted_out"; channel "*" = the topic on every channel
    topic_preferences: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # topic -> the current consent record for that topic
    consents: Mapping[str, ConsentState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_opt_outs", frozenset(self.channel_opt_outs))


@dataclass(frozen=True, slots=True)
class ConsentDecision:
    allowed: bool
    reason: Reason
    consent_id: str | None = None
    notice_version: int | None = None
    # the denying preference: "do_not_contact", "email:*", "email:newsletter", "*:newsletter"
    preference: str | None = None


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _deny(
    reason: Reason,
    consent_id: str | None = None,
    notice_version: int | None = None,
    preference: str | None = None,
) -> ConsentDecision:
    return ConsentDecision(False, reason, consent_id, notice_version, preference)


def decide(
    subject: SubjectState | None,
    channel: str,
    topic: TopicRule | None,
    now: datetime,
    *,
    known_channels: frozenset[str] | None = None,
) -> ConsentDecision:
    """May we contact ``subject`` on ``channel`` about ``topic`` at ``now``?"""
    if subject is None:
        return _deny(Reason.unknown_subject)
    if subject.erased:
        return _deny(Reason.erased)
    if topic is None:
        return _deny(Reason.unknown_topic)
    if known_channels is not None and channel not in known_channels:
        return _deny(Reason.unknown_channel)
    if subject.do_not_contact:
        return _deny(Reason.do_not_contact, preference="do_not_contact")
    if channel in subject.channel_opt_outs and not (
        topic.legal_basis in _CHANNEL_OPT_OUT_EXEMPT_BASES and topic.allow_when_channel_opted_out
    ):
        return _deny(Reason.channel_opted_out, preference=f"{channel}:*")
    if channel not in topic.channels:
        return _deny(Reason.channel_not_allowed_for_topic)

    # A topic-level opt-out always denies, whatever the legal basis (DESIGN step 7).
    prefs = subject.topic_preferences
    for pref_channel in (channel, ALL_CHANNELS):
        if prefs.get((pref_channel, topic.key)) == OPTED_OUT:
            reason = (
                Reason.objected
                if topic.legal_basis == LegalBasis.legitimate_interest
                else Reason.topic_opted_out
            )
            return _deny(reason, preference=f"{pref_channel}:{topic.key}")

    basis = topic.legal_basis
    if basis == LegalBasis.consent:
        return _decide_consent(subject.consents.get(topic.key), channel, now)
    if basis == LegalBasis.legitimate_interest:
        return ConsentDecision(True, Reason.legitimate_interest)
    if basis == LegalBasis.contract:
        return ConsentDecision(True, Reason.contract)
    if basis == LegalBasis.legal_obligation:
        return ConsentDecision(True, Reason.legal_obligation)
    raise ValueError(f"unknown legal basis {basis!r}")  # unreachable: TopicRule coerces it


def _decide_consent(consent: ConsentState | None, channel: str, now: datetime) -> ConsentDecision:
    if consent is None:
        return _deny(Reason.no_consent)
    ids = (consent.id, consent.notice_version)
    if channel not in consent.channels:
        return _deny(Reason.no_consent, *ids)
    status = consent.status
    if status == "granted":
        if consent.expires_at is not None and _utc(consent.expires_at) <= _utc(now):
            return _deny(Reason.consent_expired, *ids)
        return ConsentDecision(True, Reason.consent, consent.id, consent.notice_version)
    if status == "withdrawn":
        return _deny(Reason.consent_withdrawn, *ids)
    if status == "expired":
        return _deny(Reason.consent_expired, *ids)
    if status == "pending_confirmation":
        return _deny(Reason.pending_confirmation, *ids)
    return _deny(Reason.no_consent, *ids)  # unknown status: fail closed


def consent_expiry(granted_at: datetime, lifetime_days: int | None) -> datetime | None:
    """When a consent granted at ``granted_at`` expires (None = never)."""
    if lifetime_days is None:
        return None
    if lifetime_days <= 0:
        raise ValueError("consent lifetime must be a positive number of days")
    return granted_at + timedelta(days=lifetime_days)
