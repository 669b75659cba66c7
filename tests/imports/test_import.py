"""Bulk import: CSV and NDJSON, original consent facts, audit, rejects, idempotent re-runs, crash safety."""

from __future__ import annotations

import io
import json
import uuid

import msgspec
import pytest
from sqlalchemy import func, select

from prefcenter.imports import service
from prefcenter.imports.schemas import ImportRecord
from prefcenter.imports.source import row_key
from prefcenter.store.models import Event, Subject
from prefcenter.store.models_checks import ImportedRow


def _ndjson(rows: list[dict]) -> io.BytesIO:
    return io.BytesIO(b"\n".join(json.dumps(r).encode() for r in rows) + b"\n")


async def _check(api, subject, channel, topic):
    r = await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject, "channel": channel, "topic": topic},
        headers=await api.headers("consent:check"),
    )
    return r.json()


async def _count(api, model, *where) -> int:
    async with api.ctx.db.read_session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_ndjson_import_applies_facts_and_is_idempotent(api):
    tag = uuid.uuid4().hex[:8]
    rows = [
        {
            "external_id": f"imp-{tag}-1",
            "email": f"Imp1-{tag}@Example.com",
            "preferences": [{"channel": "sms", "topic": "*", "status": "opted_out"}],
            "consents": [
                {
                    "topic": "newsletter",
                    "channels": ["email"],
                    "granted_at": "2026-01-02T03:04:05Z",
                    "notice_version": 1,
                    "method": "signed_form",
                    "touchpoint": "pos",
                }
            ],
        },
        {"email": f"bad-{tag}"},
        {
            "external_id": f"imp-{tag}-2",
            "consents": [{"topic": "billing", "channels": ["email"], "granted_at": "2026-01-01T00:00:00Z"}],
        },
        {
            "external_id": f"imp-{tag}-3",
            "preferences": [{"channel": "fax", "topic": "*", "status": "opted_out"}],
        },
        {"phone": "+49 151 0000 " + str(1000 + int(tag[:3], 16) % 9000), "unknown_field": 1},
        {
            "external_id": f"imp-{tag}-1",
            "preferences": [{"channel": "email", "topic": "offers", "status": "opted_out"}],
        },
    ]
    report = await service.import_file(api.ctx, _ndjson(rows), "ndjson", "test.ndjson", chunk=2)
    assert report.imported == 2 and report.skipped == 0  # row 6 updates the subject of row 1
    assert sorted(line for line, _ in report.rejected) == [2, 3, 4, 5]
    reasons = dict(report.rejected)
    assert "email" in reasons[2] and "consent" in reasons[3] and "fax" in reasons[4]

    d = await _check(api, f"email:imp1-{tag}@example.com", "email", "newsletter")
    assert d["allowed"] is True and d["reason"] == "consent"  # imported consent needs no new double opt-in
    assert (await _check(api, f"imp-{tag}-1", "sms", "newsletter"))["reason"] == "channel_opted_out"
    assert (await _check(api, f"imp-{tag}-1", "email", "offers"))["reason"] == "topic_opted_out"

    sid = d["subject_id"]
    profile = (
        await api.client.get(f"/v1/subjects/{sid}/profile", headers=await api.headers("preferences:read"))
    ).json()
    (consent,) = [c for c in profile["consents"] if c["topic"] == "newsletter"]
    assert consent["method"] == "signed_form" and consent["touchpoint"] == "pos"
    assert consent["granted_at"].startswith("2026-01-02T03:04:05")
    async with api.ctx.db.read_session() as s:
        events = (await s.execute(select(Event).where(Event.subject_id == sid))).scalars().all()
    assert [e.type for e in events] == ["import.row", "import.row"]
    assert all(e.touchpoint == "import" and e.actor_type == "system" for e in events)
    assert f"imp1-{tag}" not in "".join(e.data for e in events)  # identities only sealed

    again = await service.import_file(api.ctx, _ndjson(rows), "ndjson", "test.ndjson", chunk=2)
    assert (again.imported, again.skipped, len(again.rejected)) == (0, 2, 4)


async def test_csv_import(api):
    tag = uuid.uuid4().hex[:8]
    text = (
        "external_id,email,channel,topic,status,consent_topic,consent_channels,granted_at,method,touchpoint\n"
        f"c-{tag},c-{tag}@example.com,email,product_updates,opted_out,offers,email|sms,2026-10-01T10:00:00Z,verbal,support\n"
        f"c-{tag}-2,,,,,offers,email,not-a-date,,\n"
    )
    report = await service.import_file(api.ctx, io.BytesIO(text.encode()), "csv", "t.csv")
    assert report.imported == 1 and [line for line, _ in report.rejected] == [3]
    assert (await _check(api, f"c-{tag}", "sms", "offers"))["allowed"] is True
    assert (await _check(api, f"c-{tag}", "email", "product_updates"))["reason"] == "objected"
    old = (
        "external_id,consent_topic,consent_channels,granted_at\n"
        f"c-{tag}-old,offers,email,2024-01-01T00:00:00Z\n"
    )
    await service.import_file(api.ctx, io.BytesIO(old.encode()), "csv", "old.csv")
    assert (await _check(api, f"c-{tag}-old", "email", "offers"))[
        "reason"
    ] == "consent_expired"  # original time kept


@pytest.mark.parametrize("where", ["apply", "write"])
async def test_a_crash_mid_chunk_leaves_nothing_of_that_chunk_and_a_rerun_completes(api, monkeypatch, where):
    """``apply``: while the chunk is computed; ``write``: after its projections were written, while its
    events are appended (the last write of the transaction)."""
    from prefcenter.store.unit_of_work import UnitOfWork

    tag = uuid.uuid4().hex[:8]
    rows = [{"external_id": f"crash-{tag}-{i}", "email": f"crash-{tag}-{i}@example.com"} for i in range(25)]
    calls = {"n": 0}
    if where == "apply":
        original = service._apply

        def dying_apply(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 17:  # inside the third chunk of 8
                raise RuntimeError("power cut")
            return original(*args, **kwargs)

        monkeypatch.setattr(service, "_apply", dying_apply)
    else:
        original = UnitOfWork.link_events

        async def dying_link(self, events):
            calls["n"] += 1
            if calls["n"] == 3:  # the third chunk: subjects, keys, identities, ledger already written
                raise RuntimeError("power cut")
            return await original(self, events)

        monkeypatch.setattr(UnitOfWork, "link_events", dying_link)
    with pytest.raises(RuntimeError):
        await service.import_file(api.ctx, _ndjson(rows), "ndjson", "crash.ndjson", chunk=8)
    like = Subject.external_id.like(f"crash-{tag}-%")
    assert await _count(api, Subject, like) == 16  # two whole chunks, nothing of the third
    mine = ImportedRow.row_key.in_([row_key(msgspec.convert(r, ImportRecord)) for r in rows])
    assert await _count(api, ImportedRow, mine) == 16
    monkeypatch.undo()
    report = await service.import_file(api.ctx, _ndjson(rows), "ndjson", "crash.ndjson", chunk=8)
    assert (report.imported, report.skipped) == (9, 16)
    assert await _count(api, Subject, like) == 25
    assert await _count(api, ImportedRow, mine) == 25


async def test_identities_on_the_erasure_list_are_not_reimported(api):
    from prefcenter.core import crypto
    from prefcenter.store.models_dsr import ErasureSuppression
    from prefcenter.store.unit_of_work import utcnow

    email = f"gone-{uuid.uuid4().hex[:8]}@example.com"
    async with api.ctx.unit_of_work() as uow:
        uow.session.add(
            ErasureSuppression(
                lookup_hash=crypto.lookup_hash(api.ctx.keys.pepper, "email", email),
                kind="email",
                erased_at=utcnow(),
            )
        )
    report = await service.import_file(api.ctx, _ndjson([{"email": email}]), "ndjson", "e.ndjson")
    assert report.imported == 0 and "erased" in report.rejected[0][1]
    d = await _check(api, f"email:{email}", "email", "offers")
    assert d["allowed"] is False and d["reason"] == "erased"  # the check reads the suppression list too
