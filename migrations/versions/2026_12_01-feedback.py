"""feedback: answers to CSAT, NPS and CES questions at a channel and touchpoint (comment sealed)

Revision ID: 20261201_feedback
Revises: 20261123_check_indexes
Create Date: 2026-12-01

``feedback`` holds one answer per row (issue 13, item 3): metric, score, channel, touchpoint, the site of the
widget token that sent it, and optionally the subject and the interaction it is about. The comment is sealed
with the subject's data key; erasure clears the links and the comment and keeps the bare score.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_feedback"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("interaction_id", sa.String(length=36), nullable=True),
        sa.Column("comment_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("actor_type", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_feedback_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_metric_received", "feedback", ["metric", "received_at"])
    op.create_index("ix_feedback_subject", "feedback", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_subject", table_name="feedback")
    op.drop_index("ix_feedback_metric_received", table_name="feedback")
    op.drop_table("feedback")
