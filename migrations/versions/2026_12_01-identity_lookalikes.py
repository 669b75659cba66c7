"""identity lookalikes: re-hash stored identities under the NFKC / IDNA / no-format-characters rule

Revision ID: 20261201_identity_lookalikes
Revises: 20261123_dsr
Create Date: 2026-12-01

Lookalikes (``erase.me@ｅｘａｍｐｌｅ.com``, ``ann@bücher.de`` and ``ann@xn--bcher-kva.de``, an address with a
zero-width space) were distinct identities. Identities are stored as a lookup hash and a value sealed
with the subject's data key, so this migration decrypts each value (master key -> data key, the key
settings the app reads) and re-hashes it under the current rule (store/identity_rehash.py says what
happens on collisions). Erasure suppression entries are hashes only and stay as they are; lookups match
them under both rules. The schema does not change; downgrading leaves the new hashes (the old rule never
produced them, so nothing breaks, lookalikes stay merged).
"""

from __future__ import annotations

from alembic import context, op

revision = "20261201_identity_lookalikes"
down_revision = "20261123_dsr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from prefcenter.keys import load_keys
    from prefcenter.settings import Settings
    from prefcenter.store.identity_rehash import has_identities, rehash_identities

    connection = op.get_bind()
    if not has_identities(connection):
        return
    key_settings = context.config.attributes.get("key_settings") or Settings.from_env().keys
    report = rehash_identities(connection, load_keys(key_settings))
    print(
        f"identities re-hashed: {report.rehashed}, unchanged: {report.unchanged}, "
        f"lookalikes of another subject's identity: {len(report.collisions)}, "
        f"lookalikes of an erased identity: {len(report.suppressed)}, not readable: {report.unreadable}"
    )


def downgrade() -> None:
    pass
