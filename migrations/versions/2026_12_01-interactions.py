"""interactions: contacts on any channel (summary sealed), and audit search indexes on events

Revision ID: 20261201_interactions
Revises: 20261123_check_indexes
Create Date: 2026-12-01

``interactions`` records a contact with a subject (issue 11, item 5); its summary is sealed with the
subject's data key, so erasure shreds it. ``GET /v1/audit/events`` filters the log by actor and by event
type, newest first: ``ix_events_actor_seq`` and ``ix_events_type_seq`` serve those pages from an index
(the subject filter already has ``ix_events_subject_seq``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_interactions"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("handle_seconds", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("continues", sa.String(length=36), nullable=True),
        sa.Column("actor_type", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("summary_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_interactions_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index("ix_interactions_subject_recent", "interactions", ["subject_id", "occurred_at", "id"])
    op.create_index("ix_events_actor_seq", "events", ["actor_type", "actor_id", "seq"])
    op.create_index("ix_events_type_seq", "events", ["type", "seq"])


def downgrade() -> None:
    op.drop_index("ix_events_type_seq", table_name="events")
    op.drop_index("ix_events_actor_seq", table_name="events")
    op.drop_index("ix_interactions_subject_recent", table_name="interactions")
    op.drop_table("interactions")
