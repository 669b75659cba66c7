"""checks

Revision ID: 20261123_checks
Revises: 20261123_foundation
Create Date: 2026-11-23

The import ledger (``import_rows``) that makes bulk imports idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261123_checks"
down_revision = "20261123_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_rows",
        sa.Column("row_key", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_import_rows")),
    )


def downgrade() -> None:
    op.drop_table("import_rows")
