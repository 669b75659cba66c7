"""Feedback: one answer to one question (CSAT 1-5, NPS 0-10, CES 1-7) at a channel and touchpoint (issue 13).

``subject_id`` and ``interaction_id`` link an answer to a person; the comment is personal free text, stored
only sealed with the subject's data key. Erasure clears both links and the sealed comment and keeps the bare
score, channel, touchpoint and site, so aggregates stay whole and nothing leads back to the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class Feedback(Base):
    """One answer. ``metric`` is ``csat``, ``nps`` or ``ces``; ``score`` lies in that metric's range
    (core/feedback_scores.py). Read in time order for insights: ``ix_feedback_metric_received``."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_metric_received", "metric", "received_at"),
        Index("ix_feedback_subject", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    metric: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column(SmallInteger)
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str] = mapped_column(String(20))
    site: Mapped[str | None] = mapped_column(String(40))
    """The site whose widget token sent it (None: sent by an API client)."""
    subject_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("subjects.id"))
    """None: anonymous, or the subject was erased."""
    interaction_id: Mapped[str | None] = mapped_column(String(36))
    comment_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    actor_type: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str | None] = mapped_column(String(100))
