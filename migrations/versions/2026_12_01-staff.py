"""staff: named staff accounts with roles, and their one-time set-password links

Revision ID: 20261201_staff
Revises: 20261123_check_indexes
Create Date: 2026-12-01

People sign in to the console as themselves (store/models_staff.py): email, name, role, argon2id password
hash, an optional TOTP secret sealed with the master key, and links that set a password once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_staff"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_key_id", sa.String(length=32), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_members_email")),
    )
    op.create_table(
        "staff_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_staff_links_staff_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_links")),
    )
    op.create_index(op.f("ix_staff_links_staff_id"), "staff_links", ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_links_staff_id"), table_name="staff_links")
    op.drop_table("staff_links")
    op.drop_table("staff_members")
