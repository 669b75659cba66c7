"""site branding: a company name, logo URL and accent colour per site for its hosted pages and emails

Revision ID: 20261201_site_branding
Revises: 20261123_sites
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_site_branding"
down_revision = "20261123_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("company_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("logo_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("accent_colour", sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("accent_colour")
        batch.drop_column("logo_url")
        batch.drop_column("company_name")
