"""Tables of the GDPR request workflow, the durable job queue and the downstream webhook fan-out.

Nothing here holds personal data in clear: identities appear only as keyed hashes, exports are
encrypted under a per-export key wrapped by the master key, webhook secrets are sealed under the
master key, and outbox payloads carry ids, never identities.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Job(Base):
    """The durable queue. ``status``: queued -> running -> done | dead (back to queued on a retry)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DsrRequest(Base):
    __tablename__ = "dsr_requests"
    __table_args__ = (
        Index("ix_dsr_requests_status_due", "status", "due_at"),
        Index("ix_dsr_requests_subject_type", "subject_id", "type"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    # None: a self-service request about someone we hold no data about (answered "we hold no data")
    subject_id: Mapped[str | None] = mapped_column(String(36))
    addressed_by: Mapped[str] = mapped_column(String(20))  # subject_id | external_id | identity:<kind>
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))  # erased, exported, cancelled, legal_hold, ...
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    extended_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verification_method: Mapped[str | None] = mapped_column(String(20))  # code | officer
    verification_code_hash: Mapped[str | None] = mapped_column(String(64))
    verification_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verification_attempts: Mapped[int] = mapped_column(Integer, default=0)
    systems_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_number: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(
        String(20), default="api", server_default="api"
    )  # vocabulary.DsrSource


class DsrHistory(Base):
    """Every status change, verification, extension and note on a request, with actor and reason."""

    __tablename__ = "dsr_history"
    __table_args__ = (Index("ix_dsr_history_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(36), ForeignKey("dsr_requests.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(
        String(30)
    )  # status | note | extended | verification_sent | duplicate
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class ErasureSuppression(Base):
    """Keyed identity hashes of erased subjects: a re-import or new sign-up is flagged; checks answer ``erased``."""

    __tablename__ = "erasure_suppressions"

    lookup_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
    request_id: Mapped[str | None] = mapped_column(String(36))


class DsrExport(Base):
    """An export document (zip) encrypted under its own key, which is wrapped by the master key."""

    __tablename__ = "dsr_exports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), ForeignKey("dsr_requests.id"), unique=True)
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    schema_version: Mapped[str] = mapped_column(String(20))
    master_key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExportLink(Base):
    """One signed download link; single use (``used_at``) and expiring."""

    __tablename__ = "dsr_export_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    export_id: Mapped[str] = mapped_column(String(36), ForeignKey("dsr_exports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    actor_id: Mapped[str | None] = mapped_column(String(100))


class DownstreamSystem(Base):
    """A CRM, email provider or warehouse that receives changes and DSR tasks by webhook."""

    __tablename__ = "downstream_systems"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # whsec_... sealed under the master key
    event_types: Mapped[list] = mapped_column(JSON)  # ["*"] or e.g. ["consent.*", "subject.erased"]
    cursor_seq: Mapped[int] = mapped_column(_BIGINT, default=0)  # last event fanned out to this system
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """The outbox: one message for one system. ``status``: pending -> delivered | dead."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subject", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_<hex>: the webhook-id header
    system_id: Mapped[str] = mapped_column(String(36), ForeignKey("downstream_systems.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    event_seq: Mapped[int | None] = mapped_column(_BIGINT)
    subject_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body sent (ids only, no personal data)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DsrSystemTask(Base):
    """One downstream system's part of a request (erasure): pending until acknowledged or the deadline."""

    __tablename__ = "dsr_system_tasks"
    __table_args__ = (Index("ix_dsr_system_tasks_request", "request_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), ForeignKey("dsr_requests.id"))
    system_id: Mapped[str] = mapped_column(String(36), ForeignKey("downstream_systems.id"))
    status: Mapped[str] = mapped_column(
        String(20)
    )  # pending | acknowledged | failed | no_response | undeliverable
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DsrTaskAck(Base):
    """A downstream system's acknowledgement, remembered by its ``webhook-id``: a resend with the same id,
    task and body is answered with ``answer`` again; any other reuse of the id is refused."""

    __tablename__ = "dsr_task_acks"

    system_id: Mapped[str] = mapped_column(String(36), ForeignKey("downstream_systems.id"), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), ForeignKey("dsr_system_tasks.id"))
    body_sha256: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)  # the JSON answered the first time (ids and statuses only)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
