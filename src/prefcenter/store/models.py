"""SQLAlchemy models. The schema itself is created only by the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both engines (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value

    def process_result_value(self, value, dialect):
        from datetime import UTC

        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Subject(Base):
    __tablename__ = "subjects"
    # Covering for the consent-check read path: a subject's check facts from the index alone.
    __table_args__ = (Index("ix_subjects_check", "id", "erased_at", "do_not_contact"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_channel: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    frequency: Mapped[str | None] = mapped_column(String(16))
    legal_hold: Mapped[str | None] = mapped_column(String(500))
    # email links (unsubscribe, manage, confirm) minted at or before this instant are refused (revoked)
    links_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubjectKey(Base):
    """The subject's AES-256 data key, wrapped by the master key. Deleting it crypto-shreds the subject."""

    __tablename__ = "subject_keys"

    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Identity(Base):
    __tablename__ = "identities"
    # Covering for the consent-check read path: identity lookup hash -> subject from the index alone.
    __table_args__ = (Index("ix_identities_check", "lookup_hash", "subject_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_value: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Channel(Base):
    __tablename__ = "channels"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # locale -> {"name": ..., "description": ...}; the columns above hold the default locale's texts
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TopicGroup(Base):
    """A named group of topics (a heading in the preference center), with its per-locale names."""

    __tablename__ = "topic_groups"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # locale -> {"name": ...}
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Topic(Base):
    __tablename__ = "topics"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group_name: Mapped[str] = mapped_column(String(100), default="")
    legal_basis: Mapped[str] = mapped_column(String(30))
    channels: Mapped[list] = mapped_column(JSON)
    double_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_lifetime_days: Mapped[int | None] = mapped_column(Integer)
    honour_gpc: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_when_channel_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # False: a service message (contract, legal obligation): no topic-wide opt-out, at least one channel kept
    optional: Mapped[bool] = mapped_column(Boolean, default=True)
    group_key: Mapped[str | None] = mapped_column(String(60))  # a TopicGroup key, or none
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # locale -> {"name", "description"}
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """A topic's notice text in one locale; each locale has its own version sequence."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("topic_key", "locale", "version", name="uq_notices_topic_locale_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_key: Mapped[str] = mapped_column(String(60), ForeignKey("topics.key"))
    locale: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Preference(Base):
    """Current preference per subject x channel x topic; topic ``*`` is a channel-wide preference."""

    __tablename__ = "preferences"
    # Covering for the consent-check read path (the primary key has every column but ``status``).
    __table_args__ = (Index("ix_preferences_check", "subject_id", "channel", "topic", "status"),)

    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


CONSENT_CHECK_COLUMNS = (
    "subject_id",
    "topic",
    "is_current",
    "status",
    "notice_version",
    "expires_at",
    "id",
    "granted_at",
)


class Consent(Base):
    __tablename__ = "consents"
    # Covering for the consent-check read path (migration 20261123_check_indexes): the current consent of a
    # subject x topic and every column a check reads, from the index alone. PostgreSQL cannot put a JSON
    # column in a B-tree key, so there ``channels`` is an INCLUDE column; SQLite has no INCLUDE.
    __table_args__ = (
        Index("ix_consents_check", *CONSENT_CHECK_COLUMNS, "channels").ddl_if(dialect="sqlite"),
        Index("ix_consents_check_pg", *CONSENT_CHECK_COLUMNS, postgresql_include=["channels"]).ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    topic: Mapped[str] = mapped_column(String(60))
    channels: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    notice_version: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))
    touchpoint: Mapped[str] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    evidence_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # the language of the notice the person was shown and the SHA-256 of its text (NULL: recorded before)
    locale: Mapped[str | None] = mapped_column(String(16))
    notice_sha256: Mapped[str | None] = mapped_column(String(64))


class Event(Base):
    """The append-only, hash-chained audit log. Database triggers reject UPDATE and DELETE."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject_seq", "subject_id", "seq"),
        # audit search (GET /v1/audit/events): by actor, by event type, newest first
        Index("ix_events_actor_seq", "actor_type", "actor_id", "seq"),
        Index("ix_events_type_seq", "type", "seq"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(60))
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    touchpoint: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text)  # canonical JSON text, exactly what was hashed
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(40))  # the widget token's site (hashed when set)


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    head_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Meta(Base):
    """Small key/value facts about this installation (catalog revision, ...)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
