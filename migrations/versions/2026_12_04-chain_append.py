"""chain append: PostgreSQL takes the chain lock, reads the head, links and writes events in one round trip

Revision ID: 20261204_chain_append
Revises: 20261202_chain_head
Create Date: 2026-12-04

``prefcenter_chain_head()`` took the chain lock and read the head; the events then went in with a round trip
of their own, under the lock. ``prefcenter_chain_append(...)`` does all of it in one call: the lock (the same
transaction-scoped advisory lock, 7243001), the head, and for each event its ``seq`` (head + 1, ...) and its
hash, ``SHA-256(prev_hash || "\\n" || "[" || seq || "," || tail)``, where ``tail`` is the rest of the event's
canonical encoding after its ``seq`` (``core/audit_chain.canonical_tail``, made by the caller): the same bytes
``core/audit_chain.chain_hash`` hashes. It answers each event's ``seq`` and ``hash``. The lock is then held for
this call and the commit only. ``earlier_writes`` is not used inside: a caller passes the row count of writes
made in the same statement (data-modifying CTEs), which orders them before the lock (a function's arguments
are computed before it runs), so they never wait on another transaction while the chain lock is held.
SQLite needs nothing: its write transaction holds the one write lock.
"""

from __future__ import annotations

from alembic import op

revision = "20261204_chain_append"
down_revision = "20261202_chain_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION prefcenter_chain_append(
            earlier_writes bigint,
            tails bytea[],
            occurred_ats varchar[],
            subject_ids varchar[],
            types varchar[],
            actor_types varchar[],
            actor_ids varchar[],
            touchpoints varchar[],
            datas text[],
            sealeds bytea[],
            sites varchar[]
        ) RETURNS TABLE (event_seq bigint, event_hash varchar)
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            prev_seq bigint;
            prev_hash varchar;
        BEGIN
            PERFORM pg_advisory_xact_lock(7243001);
            SELECT e.seq, e.hash INTO prev_seq, prev_hash FROM events AS e ORDER BY e.seq DESC LIMIT 1;
            IF NOT FOUND THEN
                prev_seq := 0;
                prev_hash := repeat('0', 64);
            END IF;
            FOR i IN 1 .. coalesce(array_length(tails, 1), 0) LOOP
                event_seq := prev_seq + i;
                event_hash := encode(
                    sha256(convert_to(prev_hash || E'\\n[' || event_seq::text || ',', 'UTF8') || tails[i]),
                    'hex'
                );
                INSERT INTO events (
                    seq, occurred_at, subject_id, type, actor_type, actor_id, touchpoint, data, sealed,
                    prev_hash, hash, site
                ) VALUES (
                    event_seq, occurred_ats[i], subject_ids[i], types[i], actor_types[i], actor_ids[i],
                    touchpoints[i], datas[i], sealeds[i], prev_hash, event_hash, sites[i]
                );
                prev_hash := event_hash;
                RETURN NEXT;
            END LOOP;
        END $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS prefcenter_chain_append("
        "bigint, bytea[], varchar[], varchar[], varchar[], varchar[], varchar[], varchar[], text[], bytea[], "
        "varchar[])"
    )
