"""insights: where requests were filed, which site an event came from, and the insights rollups

Revision ID: 20261201_insights
Revises: 20261123_check_indexes
Create Date: 2026-12-01

``dsr_requests.source`` says where a GDPR request was filed (``api``, ``cli``, ``admin``, ``self_service``;
older rows were all filed through the API or the CLI and read as ``api``). ``events.site`` records the
site of the widget token that wrote an event (hashed into the chain only when set, so older events keep
their hash), so insights can group by site from now on.
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


def downgrade() -> None:
    op.drop_column("events", "site")
    op.drop_column("dsr_requests", "source")
