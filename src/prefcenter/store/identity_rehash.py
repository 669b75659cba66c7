"""Re-hash stored identities under the current normalisation rule (core/normalise.py).

Run once by the migration ``20261201_identity_lookalikes``, which made lookalikes (fullwidth letters,
Unicode domains, invisible format characters) one identity instead of many. Each identity's value is
decrypted with its subject's data key, normalised again (invisible format characters dropped, they are
refused from now on), and, when its form changed, stored re-sealed under its new lookup hash.

When the new hash is already held, the holder keeps it and the identity keeps its legacy hash (no lookup
reaches it any more; the subject's profile and export still show it):

- another identity (a lookalike of an address another subject had, or the same subject had twice): the
  one stored first holds it; the migration logs both subject ids so an operator can merge them;
- an erasure suppression entry (the address was erased, then its lookalike added): the erasure wins,
  and a check of that address answers ``erased`` again.

Identities whose subject has no data key (crypto-shredded) or whose value cannot be normalised at all
are left as they are and counted.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from prefcenter.core import crypto
from prefcenter.core.normalise import InvalidIdentity, normalise_identity
from prefcenter.keys import KeyMaterial

log = logging.getLogger("prefcenter.migrations")

_identities = sa.table(
    "identities",
    sa.column("id"),
    sa.column("subject_id"),
    sa.column("kind"),
    sa.column("lookup_hash"),
    sa.column("sealed_value", sa.LargeBinary),
    sa.column("added_at"),
)
_subject_keys = sa.table(
    "subject_keys",
    sa.column("subject_id"),
    sa.column("master_key_id"),
    sa.column("wrapped_key", sa.LargeBinary),
)
_suppressions = sa.table("erasure_suppressions", sa.column("lookup_hash"))


@dataclass
class RehashReport:
    rehashed: int = 0
    unchanged: int = 0
    # (kind, subject keeping the address, subject whose lookalike keeps its legacy hash)
    collisions: list[tuple[str, str, str]] = field(default_factory=list)
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (kind, subject) of erased lookalikes
    unreadable: int = 0  # no data key, or a value no rule accepts


def without_format_chars(value: str) -> str:
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def has_identities(connection: Connection) -> bool:
    return connection.execute(sa.select(_identities.c.id).limit(1)).first() is not None


def rehash_identities(connection: Connection, keys: KeyMaterial) -> RehashReport:
    report = RehashReport()
    rows = connection.execute(
        sa.select(
            _identities.c.id,
            _identities.c.subject_id,
            _identities.c.kind,
            _identities.c.lookup_hash,
            _identities.c.sealed_value,
        ).order_by(_identities.c.added_at, _identities.c.id)
    ).all()
    data_keys = {
        sid: (key_id, wrapped)
        for sid, key_id, wrapped in connection.execute(
            sa.select(_subject_keys.c.subject_id, _subject_keys.c.master_key_id, _subject_keys.c.wrapped_key)
        )
    }
    held = {row.lookup_hash: row.subject_id for row in rows}  # every hash in use, with its subject
    changes: list[dict] = []
    for row in rows:
        stored = data_keys.get(row.subject_id)
        if stored is None:
            report.unreadable += 1
            continue
        data_key = crypto.unwrap_key(keys.master_key_by_id(stored[0]), stored[1], row.subject_id)
        aad = row.subject_id.encode()
        value = crypto.unseal(data_key, row.sealed_value, aad=aad).decode()
        try:
            current = normalise_identity(row.kind, without_format_chars(value))
        except InvalidIdentity:
            report.unreadable += 1
            continue
        digest = crypto.lookup_hash(keys.pepper, row.kind, current)
        if digest == row.lookup_hash:
            report.unchanged += 1
            continue
        if digest in held:
            report.collisions.append((row.kind, held[digest], row.subject_id))
            continue
        if _is_suppressed(connection, digest):
            report.suppressed.append((row.kind, row.subject_id))
            continue
        held[digest] = row.subject_id
        changes.append(
            {
                "row_id": row.id,
                "new_hash": digest,
                "new_value": crypto.seal(data_key, current.encode(), aad=aad),
            }
        )
    if changes:
        connection.execute(
            sa.update(_identities)
            .where(_identities.c.id == sa.bindparam("row_id"))
            .values(lookup_hash=sa.bindparam("new_hash"), sealed_value=sa.bindparam("new_value")),
            changes,
        )
    report.rehashed = len(changes)
    for kind, keeper, other in report.collisions:
        log.warning(
            "identity lookalikes: subject %s keeps the %s, subject %s holds a lookalike of it under its "
            "legacy hash (merge or erase one)",
            keeper,
            kind,
            other,
        )
    for kind, subject_id in report.suppressed:
        log.warning(
            "identity lookalikes: subject %s holds a lookalike of an erased %s; it keeps its legacy hash and "
            "the address is suppressed again",
            subject_id,
            kind,
        )
    return report


def _is_suppressed(connection: Connection, digest: str) -> bool:
    found = connection.execute(
        sa.select(_suppressions.c.lookup_hash).where(_suppressions.c.lookup_hash == digest)
    )
    return found.first() is not None
