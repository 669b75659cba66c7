"""dsr_task_acks: downstream acknowledgements remembered by webhook-id

Revision ID: 20261201_dsr_task_acks
Revises: 20261123_dsr
Create Date: 2026-12-01

A resent acknowledgement (same webhook-id, task and body) is answered as the first time; any other
reuse of a webhook-id is refused (store/models_dsr.py ``DsrTaskAck``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_dsr_task_acks"
down_revision = "20261123_dsr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dsr_task_acks",
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["downstream_systems.id"],
            name=op.f("fk_dsr_task_acks_system_id_downstream_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["dsr_system_tasks.id"], name=op.f("fk_dsr_task_acks_task_id_dsr_system_tasks")
        ),
        sa.PrimaryKeyConstraint("system_id", "webhook_id", name=op.f("pk_dsr_task_acks")),
    )


def downgrade() -> None:
    op.drop_table("dsr_task_acks")
