"""The privacy center's requests: what a customer filed themselves, before and after it became a DSR.

The requester's address (email or phone) is sealed under a key of the request's own (``wrapped_key``,
wrapped by the master key), never under the subject's: erasure destroys the subject's key, and the
person must still be told their data is gone. ``shred_after`` says when the address and its key are
deleted: when an unconfirmed code expires, when the completion message was sent, or (a request about
someone we hold no data about) when the request closed plus the proof period. Only keyed hashes of the
identity and of the client address stay, for the throttle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"
    __table_args__ = (
        Index("ix_privacy_requests_identity_hash", "identity_hash", "created_at"),
        Index("ix_privacy_requests_address_hash", "address_hash", "created_at"),
        Index("ix_privacy_requests_shred_after", "shred_after"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))  # vocabulary.DsrType
    locale: Mapped[str] = mapped_column(String(10))
    identity_kind: Mapped[str] = mapped_column(String(20))  # email | phone
    identity_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the normalised identity
    address_hash: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the client's IP address
    master_key_id: Mapped[str | None] = mapped_column(String(32))
    wrapped_key: Mapped[bytes | None] = mapped_column(
        LargeBinary
    )  # the request's own key; None once shredded
    sealed_address: Mapped[bytes | None] = mapped_column(LargeBinary)  # the identity, for our messages
    sealed_details: Mapped[bytes | None] = mapped_column(LargeBinary)  # rectification: what is wrong
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dsr_request_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("dsr_requests.id"), index=True)
    receipt_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_sent_months: Mapped[int] = mapped_column(Integer, default=0)
    completion_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shred_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
