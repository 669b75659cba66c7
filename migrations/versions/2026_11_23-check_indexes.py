"""check indexes: covering indexes for the consent-check read path

Revision ID: 20261123_check_indexes
Revises: 20261123_checks
Create Date: 2026-11-23

Campaign-scale checks probe four indexes per subject (identity hash -> subject, the subject's flags, its
preferences for the asked channel/topic, its current consent for the topic). Each probe of a plain index
then descends the table's own B-tree for the other columns; on a 1,000,000-subject SQLite file that second
descent was half of the read time (docs/performance.md). These indexes hold every column the check reads.
The consent index replaces ``ix_consents_subject_topic_current`` (same leading columns).
"""

from __future__ import annotations

from alembic import op

revision = "20261123_check_indexes"
down_revision = "20261123_checks"
branch_labels = None
depends_on = None

CONSENT_CHECK_COLUMNS = [
    "subject_id",
    "topic",
    "is_current",
    "status",
    "notice_version",
    "expires_at",
    "id",
    "granted_at",
]


def upgrade() -> None:
    op.create_index("ix_identities_check", "identities", ["lookup_hash", "subject_id"])
    op.create_index("ix_subjects_check", "subjects", ["id", "erased_at", "do_not_contact"])
    op.create_index("ix_preferences_check", "preferences", ["subject_id", "channel", "topic", "status"])
    op.drop_index("ix_consents_subject_topic_current", table_name="consents")
    if op.get_bind().dialect.name == "postgresql":
        # a JSON column cannot be a B-tree key: INCLUDE it
        op.create_index(
            "ix_consents_check_pg", "consents", CONSENT_CHECK_COLUMNS, postgresql_include=["channels"]
        )
    else:
        op.create_index("ix_consents_check", "consents", [*CONSENT_CHECK_COLUMNS, "channels"])


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_consents_check_pg" if pg else "ix_consents_check", table_name="consents")
    op.create_index("ix_consents_subject_topic_current", "consents", ["subject_id", "topic", "is_current"])
    op.drop_index("ix_preferences_check", table_name="preferences")
    op.drop_index("ix_subjects_check", table_name="subjects")
    op.drop_index("ix_identities_check", table_name="identities")
