"""The insights rollups (issue 13): kept by the worker's ``insights.rollups`` sweep, which folds the audit
events after a watermark in order, in one transaction with the new watermark. No personal data leaves
these tables: ``insight_choices`` holds ids only, to know what a change replaces; the rest are counts.

Empty text (``""``), never NULL, stands for "no touchpoint / site / method" in the rollup keys, so the keys
can be primary keys and upserts match.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class InsightWatermark(Base):
    """How far a rollup has read the log: every event with ``seq`` up to here is folded in."""

    __tablename__ = "insight_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(_BIGINT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightChoice(Base):
    """A person's current choice as the folded events left it, and where it was made: per (channel, topic)
    for preferences, per ("", topic) for the topic's consent (granted or asked for: opted in; withdrawn:
    opted out). The recount groups a pair's consent rates by the latest of its choices."""

    __tablename__ = "insight_choices"

    subject_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # opted_in | opted_out
    touchpoint: Mapped[str] = mapped_column(String(20))
    site: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(_BIGINT, default=0)  # the event that made it


class InsightEventDay(Base):
    """How many changes of each kind one UTC day recorded, per touchpoint, site, method, channel and topic.
    ``kind``: ``opted_in`` / ``opted_out`` (preference changes), ``granted``, ``pending_confirmation``,
    ``confirmed``, ``withdrawn``, ``expired`` (consents), ``gpc`` (a GPC signal honoured)."""

    __tablename__ = "insight_event_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(20), primary_key=True)
    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class InsightRateDay(Base):
    """The consent state per (channel, topic) the catalog offers, and where the person's current choice
    for the pair was made (touchpoint, site; "" for none), as the worker's recount found it at
    ``counted_at`` with the decision function: the state at the end of ``day`` (a closed day's rows are
    the first count after its end; today's, the latest count). ``subjects``: people (not erased) with an
    identity that reaches the channel (everyone, for a channel no identity kind reaches: the topic is
    offered to all); ``opted_in``: of them, those ``decide`` allows; ``opted_out``: those it refuses for
    a choice of their own (an opt-out, an objection, a withdrawal, "contact me about nothing")."""

    __tablename__ = "insight_rate_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(20), primary_key=True)
    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    subjects: Mapped[int] = mapped_column(Integer)
    opted_in: Mapped[int] = mapped_column(Integer)
    opted_out: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightRatePeople(Base):
    """Distinct people behind a day's rate rows per group (``dimension``: "" for all, ``channel``,
    ``topic``, ``touchpoint``, ``site``; ``grp`` its value): a person offered three topics counts once
    in the minimum group size, not three times."""

    __tablename__ = "insight_rate_people"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)
    grp: Mapped[str] = mapped_column(String(60), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)


class InsightAudience(Base):
    """People (not erased) per preferred channel ("" for none) and "contact me about nothing" switch
    (``do_not_contact``), recounted with the reachable audience."""

    __tablename__ = "insight_audience"

    preferred_channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightExpiring(Base):
    """Per topic, the people whose current consent is granted, and of them those whose consent expires
    within 30 and 90 days of ``counted_at``; recounted with the reachable audience."""

    __tablename__ = "insight_expiring"

    topic: Mapped[str] = mapped_column(String(60), primary_key=True)
    granted: Mapped[int] = mapped_column(Integer)
    expiring_30_days: Mapped[int] = mapped_column(Integer)
    expiring_90_days: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightContact(Base):
    """A folded contact (core/contact_folds.py): what a follow-up or an erasure changes in the service
    rollup. Ids and vocabulary words only; deleted when the person is erased."""

    __tablename__ = "insight_contacts"
    __table_args__ = (
        Index("ix_insight_contacts_subject", "subject_id"),
        Index("ix_insight_contacts_day", "day"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the interaction's id
    subject_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[str] = mapped_column(String(32))  # RFC 3339 UTC, as the event has it
    day: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(60))  # "" for no topic
    first: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[bool] = mapped_column(Boolean)  # in its day's resolved_first now
    handle_seconds: Mapped[int | None] = mapped_column(Integer)
    switch: Mapped[bool] = mapped_column(Boolean)


class InsightContactDay(Base):
    """The service figures of one UTC day per (channel, touchpoint): contacts, AHT's count and sum, first
    contacts and those resolved without a follow-up within 7 days, channel switches, distinct people."""

    __tablename__ = "insight_contact_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(20), primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    handle_seconds: Mapped[int] = mapped_column(_BIGINT, default=0)
    first_contacts: Mapped[int] = mapped_column(Integer, default=0)
    resolved_first: Mapped[int] = mapped_column(Integer, default=0)
    channel_switches: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
