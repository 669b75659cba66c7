"""Master key rotation: re-wrap every subject data key under the current master key.

Steps: `prefcenter keys generate --dir NEW` (take its master.key), point PREFCENTER_MASTER_KEY_FILE at the new
key and PREFCENTER_PREVIOUS_MASTER_KEY_FILE at the old one, restart, run `prefcenter keys rewrap`, then drop
the previous key. Data keys themselves never change, so sealed data and the audit chain are untouched.
"""

from __future__ import annotations

from sqlalchemy import select

from prefcenter.core import crypto
from prefcenter.store.models import SubjectKey
from prefcenter.store.unit_of_work import SYSTEM, UnitOfWork

BATCH = 1000


async def rewrap_batch(uow: UnitOfWork) -> int:
    """Re-wrap up to BATCH data keys that are not under the current master key; returns how many."""
    current = uow.keys.master_key_id
    rows = (
        (
            await uow.session.execute(
                select(SubjectKey).where(SubjectKey.master_key_id != current).limit(BATCH)
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        data_key = crypto.unwrap_key(
            uow.keys.master_key_by_id(row.master_key_id), row.wrapped_key, row.subject_id
        )
        row.wrapped_key = crypto.wrap_key(uow.keys.master_key, data_key, row.subject_id)
        row.master_key_id = current
    if rows:
        await uow.append_event(
            "keys.rewrapped", actor=SYSTEM, data={"count": len(rows), "master_key_id": current}
        )
    return len(rows)
