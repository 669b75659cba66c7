"""sign_in: failed sign-ins counted per throttle key, and revoked admin sessions

Revision ID: 20261201_sign_in
Revises: 20261123_check_indexes
Create Date: 2026-12-01

State the sign-in throttle and admin sign-out share across server processes (store/models_auth.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_sign_in"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        op.f("ix_sign_in_failures_window_ends_at"), "sign_in_failures", ["window_ends_at"], unique=False
    )
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
    op.drop_index(op.f("ix_sign_in_failures_window_ends_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
