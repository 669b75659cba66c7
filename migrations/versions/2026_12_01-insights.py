"""insights: where requests were filed, which site an event came from, and the insights rollups

Revision ID: 20261201_insights
Revises: 20261123_check_indexes
Create Date: 2026-12-01

``dsr_requests.source`` says where a GDPR request was filed (``api``, ``cli``, ``admin``, ``self_service``;
older rows were all filed through the API or the CLI and read as ``api``). ``events.site`` records the
site of the widget token that wrote an event (hashed into the chain only when set, so older events keep
their hash), so insights can group by site from now on.

The insights rollups (store/models_insights.py) are kept by the worker: ``insight_watermarks`` says how far
the log is folded, ``insight_choices`` what each person's current choice per (channel, topic) is and where
it was made, ``insight_choice_days`` and ``insight_event_days`` the day-by-day changes and counts,
``insight_reach`` the reachable audience last counted. Events already in the log are folded by the worker
after the upgrade, from the first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_insights"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = "20261123_dsr"


def upgrade() -> None:
    op.add_column(
        "dsr_requests", sa.Column("source", sa.String(length=20), server_default="api", nullable=False)
    )
    op.add_column("events", sa.Column("site", sa.String(length=40), nullable=True))
    op.create_table(
        "insight_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_insight_watermarks")),
    )
    op.create_table(
        "insight_choices",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "channel", "topic", name=op.f("pk_insight_choices")),
    )
    op.create_table(
        "insight_choice_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("opted_in", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "channel", "topic", "touchpoint", "site", name=op.f("pk_insight_choice_days")
        ),
    )
    op.create_table(
        "insight_event_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "kind",
            "touchpoint",
            "site",
            "method",
            "channel",
            "topic",
            name=op.f("pk_insight_event_days"),
        ),
    )
    op.create_table(
        "insight_reach",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("reachable", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "topic", name=op.f("pk_insight_reach")),
    )


def downgrade() -> None:
    for table in (
        "insight_reach",
        "insight_event_days",
        "insight_choice_days",
        "insight_choices",
        "insight_watermarks",
    ):
        op.drop_table(table)
    op.drop_column("events", "site")
    op.drop_column("dsr_requests", "source")
