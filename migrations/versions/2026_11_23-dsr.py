"""dsr: GDPR requests, the durable job queue, erasure suppressions, exports, downstream webhooks

Revision ID: 20261123_dsr
Revises: 20261123_foundation
Create Date: 2026-11-23

A branch of its own off the foundation (another branch adds the consent-check tables);
``prefcenter db upgrade`` applies all heads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261123_dsr"
down_revision = "20261123_foundation"
branch_labels = ("dsr",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "downstream_systems",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("cursor_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_downstream_systems")),
    )
    op.create_table(
        "dsr_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("addressed_by", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_months", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.String(length=500), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification_method", sa.String(length=20), nullable=True),
        sa.Column("verification_code_hash", sa.String(length=64), nullable=True),
        sa.Column("verification_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification_attempts", sa.Integer(), nullable=False),
        sa.Column("systems_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_number", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("actor_type", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_requests")),
    )
    op.create_index("ix_dsr_requests_status_due", "dsr_requests", ["status", "due_at"], unique=False)
    op.create_index("ix_dsr_requests_subject_type", "dsr_requests", ["subject_id", "type"], unique=False)
    op.create_table(
        "erasure_suppressions",
        sa.Column("lookup_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("lookup_hash", name=op.f("pk_erasure_suppressions")),
    )
    op.create_table(
        "jobs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"], unique=False)
    op.create_table(
        "dsr_exports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("schema_version", sa.String(length=20), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["dsr_requests.id"], name=op.f("fk_dsr_exports_request_id_dsr_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_exports")),
        sa.UniqueConstraint("request_id", name=op.f("uq_dsr_exports_request_id")),
    )
    op.create_index(op.f("ix_dsr_exports_subject_id"), "dsr_exports", ["subject_id"], unique=False)
    op.create_table(
        "dsr_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("actor_type", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["dsr_requests.id"], name=op.f("fk_dsr_history_request_id_dsr_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_history")),
    )
    op.create_index("ix_dsr_history_request", "dsr_history", ["request_id", "id"], unique=False)
    op.create_table(
        "dsr_system_tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["dsr_requests.id"], name=op.f("fk_dsr_system_tasks_request_id_dsr_requests")
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["downstream_systems.id"],
            name=op.f("fk_dsr_system_tasks_system_id_downstream_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_system_tasks")),
    )
    op.create_index("ix_dsr_system_tasks_request", "dsr_system_tasks", ["request_id"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("system_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["downstream_systems.id"],
            name=op.f("fk_webhook_deliveries_system_id_downstream_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next", "webhook_deliveries", ["status", "next_attempt_at"], unique=False
    )
    op.create_index("ix_webhook_deliveries_subject", "webhook_deliveries", ["subject_id"], unique=False)
    op.create_index(
        op.f("ix_webhook_deliveries_system_id"), "webhook_deliveries", ["system_id"], unique=False
    )
    op.create_table(
        "dsr_export_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("export_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["dsr_exports.id"],
            name=op.f("fk_dsr_export_links_export_id_dsr_exports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_export_links")),
    )


def downgrade() -> None:
    op.drop_table("dsr_export_links")
    op.drop_index(op.f("ix_webhook_deliveries_system_id"), table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_subject", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_dsr_system_tasks_request", table_name="dsr_system_tasks")
    op.drop_table("dsr_system_tasks")
    op.drop_index("ix_dsr_history_request", table_name="dsr_history")
    op.drop_table("dsr_history")
    op.drop_index(op.f("ix_dsr_exports_subject_id"), table_name="dsr_exports")
    op.drop_table("dsr_exports")
    op.drop_index("ix_jobs_status_run_after", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("erasure_suppressions")
    op.drop_index("ix_dsr_requests_subject_type", table_name="dsr_requests")
    op.drop_index("ix_dsr_requests_status_due", table_name="dsr_requests")
    op.drop_table("dsr_requests")
    op.drop_table("downstream_systems")
