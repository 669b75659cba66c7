"""link revocations: a per-subject time before which every email link is refused

Revision ID: 20261201_link_revocations
Revises: 20261123_check_indexes
Create Date: 2026-12-01

``POST /v1/subjects/{id}/link-revocations`` sets ``subjects.links_not_before``; unsubscribe, manage and
confirm links minted at or before it are refused (410). NULL: nothing was ever revoked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_link_revocations"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subjects", sa.Column("links_not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("links_not_before")
