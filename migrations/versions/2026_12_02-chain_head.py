"""chain head: PostgreSQL takes the chain lock and reads the head in one round trip

Revision ID: 20261202_chain_head
Revises: 20261123_foundation
Create Date: 2026-12-02

A write appends to the one hash chain under a transaction-scoped advisory lock (7243001) and reads the head
after it has the lock. In one statement the read's snapshot would predate the lock (READ COMMITTED); a
VOLATILE function's statements each take a fresh snapshot, so ``prefcenter_chain_head()`` takes the lock and
then reads the head: the lock and the head in one round trip, as two statements did. SQLite needs nothing:
its write transaction holds the one write lock.
"""

from __future__ import annotations

from alembic import op

revision = "20261202_chain_head"
down_revision = "20261123_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION prefcenter_chain_head() RETURNS TABLE (head_seq bigint, head_hash varchar)
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(7243001);
            RETURN QUERY SELECT e.seq::bigint, e.hash::varchar FROM events AS e ORDER BY e.seq DESC LIMIT 1;
        END $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS prefcenter_chain_head()")
