"""PostgreSQL: the one-statement-per-chunk asyncpg read returns the same rows as the portable Core read."""

from __future__ import annotations

import json

import pytest

from prefcenter.checks.subject_refs import parse_subject_ref
from prefcenter.store.projection_rows import FetchedRows
from prefcenter.store.projections import projection_reader
from prefcenter.store.projections_engine import EngineProjectionReader
from prefcenter.store.projections_postgres import PostgresProjectionReader
from tests.checks.helpers import subject_with


def _normalised(rows: FetchedRows) -> tuple:
    consents = sorted(
        (*r[:4], sorted(json.loads(r[4]) if isinstance(r[4], str) else r[4]), *r[5:]) for r in rows.consents
    )
    subjects = {ref: (sid, bool(e), bool(d)) for ref, (sid, e, d) in rows.subjects.items()}
    return subjects, sorted(rows.preferences), consents, rows.suppressed


async def test_asyncpg_chunk_read_equals_core_read(api):
    if api.engine != "postgres":
        pytest.skip("PostgreSQL read path")
    a = await subject_with(
        api,
        prefs=[("email", "*", "opted_out"), ("sms", "offers", "opted_in")],
        consents=[("offers", ["email", "sms"])],
    )
    b = await subject_with(api, do_not_contact=True, prefs=[("email", "newsletter", "opted_out")])
    reader = projection_reader(api.ctx.db)
    assert isinstance(reader, PostgresProjectionReader)
    portable = EngineProjectionReader(api.ctx.db.read_engine)
    pepper = api.ctx.keys.pepper
    refs = [
        parse_subject_ref(raw, pepper)
        for raw in (
            a["id"],
            f"email:{a['email']}",
            f"external_id:{b['external_id']}",
            f"email:{b['email']}",
            "email:nobody@example.com",
            "no-such-customer",
        )
    ]
    for channel, topic in ((None, None), ("email", "offers"), ("sms", "offers"), ("email", "newsletter")):
        fast = await reader.fetch(refs * 2, channel, topic)
        core = await portable.fetch(refs * 2, channel, topic)
        assert _normalised(fast) == _normalised(core)
        assert len(fast.subjects) == 4
