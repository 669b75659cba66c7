"""write guard: PostgreSQL refuses a one-statement write whose subject changed since it was read

Revision ID: 20261205_write_guard
Revises: 20261204_chain_append
Create Date: 2026-12-05

A consent grant, withdrawal or confirmation, or a preference save, on PostgreSQL is written in one
statement without ``BEGIN`` and ``COMMIT`` (``store/unit_of_work.write``): the subject was read before
without a lock, and the statement's UPDATE of the subject's row names the row version it read (``xmin``). ``prefcenter_unchanged(rows)`` takes
that UPDATE's row count; when it is 0 (the row changed, or the subject went, in between) it raises
``serialization_failure`` (40001), which aborts the whole statement, its consent writes and events
included, and the caller reads again. Otherwise it answers ``rows``. SQLite needs nothing.
"""

from __future__ import annotations

from alembic import op

revision = "20261205_write_guard"
down_revision = "20261204_chain_append"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION prefcenter_unchanged(changed_rows bigint) RETURNS bigint
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            IF changed_rows = 0 THEN
                RAISE EXCEPTION 'the subject changed since this write read it'
                    USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN changed_rows;
        END $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS prefcenter_unchanged(bigint)")
