"""privacy_requests: the privacy center's self-service requests; a DSR may have no subject

Revision ID: 20261201_privacy_requests
Revises: 20261123_dsr
Create Date: 2026-12-01

A customer files a request on /privacy (store/models_privacy.py ``PrivacyRequest``); once they confirm
the code it becomes a DSR with source ``self_service``. A request about someone we hold no data about is
still recorded, as a DSR without a subject: ``dsr_requests.subject_id`` becomes nullable.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261201_privacy_requests"
down_revision = "20261123_dsr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dsr_requests") as batch:
        batch.alter_column("subject_id", existing_type=sa.String(length=36), nullable=True)
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("identity_kind", sa.String(length=20), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("master_key_id", sa.String(length=32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_address", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_details", sa.LargeBinary(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dsr_request_id", sa.String(length=36), nullable=True),
        sa.Column("receipt_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extension_sent_months", sa.Integer(), nullable=False),
        sa.Column("completion_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shred_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dsr_request_id"],
            ["dsr_requests.id"],
            name=op.f("fk_privacy_requests_dsr_request_id_dsr_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index("ix_privacy_requests_identity_hash", "privacy_requests", ["identity_hash", "created_at"])
    op.create_index("ix_privacy_requests_address_hash", "privacy_requests", ["address_hash", "created_at"])
    op.create_index("ix_privacy_requests_shred_after", "privacy_requests", ["shred_after"])
    op.create_index(op.f("ix_privacy_requests_dsr_request_id"), "privacy_requests", ["dsr_request_id"])


def downgrade() -> None:
    op.drop_table("privacy_requests")
    with op.batch_alter_table("dsr_requests") as batch:
        batch.alter_column("subject_id", existing_type=sa.String(length=36), nullable=False)
