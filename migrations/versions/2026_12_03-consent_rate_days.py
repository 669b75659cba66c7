"""consent rates per the decision function: the state at each day's end, counted by the worker

Revision ID: 20261203_consent_rate_days
Revises: 20261202_insight_contacts
Create Date: 2026-12-03

``insight_rate_days`` holds, per day and (channel, topic, touchpoint, site), the people a channel reaches,
those the decision function allows and those who refused: the state at the day's end as the worker's
``insights.reach`` sweep counts it (catalog edits and expiry included, which no event records).
``insight_rate_people`` holds the distinct people behind each day's groups, for the minimum group size.
They replace ``insight_choice_days`` (changes of ``preference.set`` choices, which counted neither
identities, consents, expiry nor the catalog) and ``insight_reach`` (now the newest day's rows). History
starts with the first count after the upgrade; the changes themselves stay in ``insight_event_days``.
``insight_choices`` now also keeps each person's consent choice per topic, and the event that made a
choice (``seq``): the worker folds the log again from the first event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261203_consent_rate_days"
down_revision = "20261202_insight_contacts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insight_rate_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Integer(), nullable=False),
        sa.Column("opted_out", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "channel", "topic", "touchpoint", "site", name=op.f("pk_insight_rate_days")
        ),
    )
    op.create_table(
        "insight_rate_people",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("grp", sa.String(length=60), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "dimension", "grp", name=op.f("pk_insight_rate_people")),
    )
    op.drop_table("insight_choice_days")
    op.drop_table("insight_reach")
    # choices now include consents, and say which event made them: the worker folds the log again from
    # the first event (the day counts with it)
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("insight_choices", sa.Column("seq", seq, nullable=False, server_default="0"))
    op.execute("DELETE FROM insight_choices")
    op.execute("DELETE FROM insight_event_days")
    op.execute("DELETE FROM insight_watermarks WHERE name = 'events'")


def downgrade() -> None:
    with op.batch_alter_table("insight_choices") as batch:
        batch.drop_column("seq")
    op.create_table(
        "insight_reach",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("reachable", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "topic", name=op.f("pk_insight_reach")),
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
    op.drop_table("insight_rate_people")
    op.drop_table("insight_rate_days")
