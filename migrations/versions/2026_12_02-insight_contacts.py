"""insight contacts and audience: the service rollup (FCR settled by the sweep), the audience counts

Revision ID: 20261202_insight_contacts
Revises: 20261201_insights
Create Date: 2026-12-02

``insight_contacts`` keeps each folded contact (ids and vocabulary words only) so a follow-up within 7 days
or an erasure can change the figures it counted; ``insight_contact_days`` holds the service figures per
(day, channel, touchpoint). The worker folds ``interaction.recorded`` events after their own watermark
(``contacts``), from the first event, so contacts recorded before the upgrade are counted too.

``insight_audience`` (people per preferred channel and "contact me about nothing" switch) and
``insight_expiring`` (granted consents per topic expiring within 30 and 90 days) are recounted with the
reachable audience by the ``insights.reach`` sweep.
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

    op.create_table(
        "insight_audience",
        sa.Column("preferred_channel", sa.String(length=40), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("preferred_channel", "do_not_contact", name=op.f("pk_insight_audience")),
    )
    op.create_table(
        "insight_expiring",
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("expiring_30_days", sa.Integer(), nullable=False),
        sa.Column("expiring_90_days", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_insight_expiring")),
    )
    # the reachable audience is now what the decision function allows among the people a channel reaches:
    # the next recount (the worker's insights.reach sweep) replaces the old counts
    op.execute("DELETE FROM insight_reach")


def downgrade() -> None:
    op.drop_table("insight_expiring")
    op.drop_table("insight_audience")
    op.drop_table("insight_contact_days")
    op.drop_index("ix_insight_contacts_day", table_name="insight_contacts")
    op.drop_index("ix_insight_contacts_subject", table_name="insight_contacts")
    op.drop_table("insight_contacts")
    op.execute("DELETE FROM insight_watermarks WHERE name = 'contacts'")
