"""Interactions: contacts with a subject on any channel or touchpoint (issue 11, item 5).

The summary is personal free text: it is stored only sealed with the subject's data key (like identities), so
erasing the subject's key shreds it. Every other column is a vocabulary word, a number or an id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class Interaction(Base):
    """One contact. ``continues``: the earlier interaction of the same subject this one picks up (a switch
    of channel). Listed newest first per subject: ``ix_interactions_subject_recent``."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_subject_recent", "subject_id", "occurred_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(20))
    handle_seconds: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(64))
    continues: Mapped[str | None] = mapped_column(String(36))
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
