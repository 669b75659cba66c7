"""catalog i18n: per-locale catalog texts, topic groups with a key, service messages, the notice a consent showed

Revision ID: 20261201_catalog_i18n
Revises: 20261123_check_indexes
Create Date: 2026-12-01

Channels, topics and the new ``topic_groups`` carry ``translations`` (locale -> texts); the plain columns keep
the default locale's texts. Notices get a ``locale`` and number their versions per locale (existing notices are
the default locale's, ``en``). Topics get ``optional``: existing topics resting on contract or legal obligation
become service messages (not optional); opt-outs already stored for them are kept as they are. A consent
records the locale and the SHA-256 of the notice text the person was shown (NULL for consents recorded before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_catalog_i18n"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topic_groups",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_topic_groups")),
    )
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("topics") as batch:
        batch.add_column(sa.Column("optional", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("group_key", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    op.execute(
        "UPDATE topics SET optional = "
        + ("false" if op.get_bind().dialect.name == "postgresql" else "0")
        + " WHERE legal_basis IN ('contract', 'legal_obligation')"
    )
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=False, server_default="en"))
        batch.drop_constraint("uq_notices_topic_version", type_="unique")
        batch.create_unique_constraint("uq_notices_topic_locale_version", ["topic_key", "locale", "version"])
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("notice_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("notice_sha256")
        batch.drop_column("locale")
    op.execute("DELETE FROM notices WHERE locale <> 'en'")
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint("uq_notices_topic_locale_version", type_="unique")
        batch.create_unique_constraint("uq_notices_topic_version", ["topic_key", "version"])
        batch.drop_column("locale")
    with op.batch_alter_table("topics") as batch:
        batch.drop_column("translations")
        batch.drop_column("group_key")
        batch.drop_column("optional")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("translations")
    op.drop_table("topic_groups")
