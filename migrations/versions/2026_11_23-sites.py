"""sites: the company's web properties and the origins allowed to embed the widget and call the API

Revision ID: 20261123_sites
Revises: 20261123_foundation
Create Date: 2026-11-23

A branch of its own off the foundation; ``prefcenter db upgrade`` applies all heads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261123_sites"
down_revision = "20261123_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("touchpoint", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sites")),
    )


def downgrade() -> None:
    op.drop_table("sites")
