"""Staff accounts: named people with one role each, and their one-time set-password links (staff/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class StaffMember(Base):
    """One person who signs in to the console. ``email`` is normalised (core/staff_rules.py); the password
    is an argon2id hash; the TOTP secret is sealed with the master key (``totp_key_id`` names which one)."""

    __tablename__ = "staff_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_key_id: Mapped[str | None] = mapped_column(String(32))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a TOTP code signs in once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffLink(Base):
    """A one-time set-password link: only the SHA-256 of its token is stored; used once, or expired."""

    __tablename__ = "staff_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(36), ForeignKey("staff_members.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
