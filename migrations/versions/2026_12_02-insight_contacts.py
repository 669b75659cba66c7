"""insight contacts: the service rollup (contacts per day, channel and touchpoint, FCR settled by the sweep)

Revision ID: 20261202_insight_contacts
Revises: 20261201_insights
Create Date: 2026-12-02

``insight_contacts`` keeps each folded contact (ids and vocabulary words only) so a follow-up within 7 days
or an erasure can change the figures it counted; ``insight_contact_days`` holds the service figures per
(day, channel, touchpoint). The worker folds ``interaction.recorded`` events after their own watermark
(``contacts``), from the first event, so contacts recorded before the upgrade are counted too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261202_insight_contacts"
down_revision = "20261201_insights"
branch_labels = None
depends_on = "20261201_interactions"


def upgrade() -> None:
    op.create_table(
        "insight_contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("first", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("handle_seconds", sa.Integer(), nullable=True),
        sa.Column("switch", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_contacts")),
    )
    op.create_index("ix_insight_contacts_subject", "insight_contacts", ["subject_id"])
    op.create_index("ix_insight_contacts_day", "insight_contacts", ["day"])
    op.create_table(
        "insight_contact_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handle_seconds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("first_contacts", sa.Integer(), nullable=False),
        sa.Column("resolved_first", sa.Integer(), nullable=False),
        sa.Column("channel_switches", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "touchpoint", name=op.f("pk_insight_contact_days")),
    )


def downgrade() -> None:
    op.drop_table("insight_contact_days")
    op.drop_index("ix_insight_contacts_day", table_name="insight_contacts")
    op.drop_index("ix_insight_contacts_subject", table_name="insight_contacts")
    op.drop_table("insight_contacts")
    op.execute("DELETE FROM insight_watermarks WHERE name = 'contacts'")
