"""events no replace: the append-only tables refuse INSERT OR REPLACE on SQLite

Revision ID: 20261201_events_no_replace
Revises: 20261123_check_indexes
Create Date: 2026-12-01

SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``) deletes the row it conflicts with without firing
DELETE triggers (unless ``recursive_triggers`` is on), so it could rewrite an event or a checkpoint past
the append-only triggers. A BEFORE INSERT trigger now refuses any insert whose ``seq`` is already taken,
whatever its conflict clause. PostgreSQL needs nothing new: ``INSERT ... ON CONFLICT DO UPDATE`` fires the
existing BEFORE UPDATE trigger, which refuses it, and it has no replace that deletes.
"""

from __future__ import annotations

from alembic import op

revision = "20261201_events_no_replace"
down_revision = "20261123_check_indexes"
branch_labels = None
depends_on = None

APPEND_ONLY = ("events", "checkpoints")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE seq = NEW.seq) "
            f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: REPLACE rejected'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
