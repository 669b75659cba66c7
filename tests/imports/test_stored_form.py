"""The import writes through the database driver (``store/bulk_connection.py``), not SQLAlchemy: its rows must be
stored exactly as the ORM would store the same values, and read back through the ORM the same way."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text

from prefcenter.imports import service
from prefcenter.store.models import Consent, Event, Identity, Preference, Subject, SubjectKey
from prefcenter.store.models_checks import ImportedRow

# per model: the table, the column its rows are found by, and the columns a copy must change (keys)
_TABLES = [
    (Subject, "id", {"id", "external_id"}),
    (SubjectKey, "subject_id", {"subject_id"}),
    (Identity, "subject_id", {"id", "subject_id", "lookup_hash"}),
    (Preference, "subject_id", {"subject_id"}),
    (Consent, "subject_id", {"id", "subject_id"}),
    (ImportedRow, "subject_id", {"row_key", "subject_id"}),
    (Event, "subject_id", {"seq", "subject_id"}),
]


def _ndjson(rows: list[dict]) -> io.BytesIO:
    return io.BytesIO(b"\n".join(json.dumps(r).encode() for r in rows) + b"\n")


async def _stored(session, model, column: str, value) -> list[dict]:
    """The rows as the driver returns them, with no SQLAlchemy type processing: the stored form."""
    table = model.__table__
    order = ", ".join(c.name for c in table.primary_key.columns)
    result = await session.execute(
        text(f"SELECT * FROM {table.name} WHERE {column} = :v ORDER BY {order}"), {"v": value}
    )
    return [dict(row) for row in result.mappings()]


async def test_imported_rows_are_stored_and_read_like_orm_rows(api):
    tag = uuid.uuid4().hex[:8]
    ext = f"stored-{tag}"
    rows = [
        {
            "external_id": ext,
            "email": f"Stored-{tag}@Example.com",
            "phone": "+49 151 " + str(20_000_000 + int(tag[:4], 16)),
            "do_not_contact": True,
            "preferences": [
                {
                    "channel": "sms",
                    "topic": "*",
                    "status": "opted_out",
                    "updated_at": "2026-01-02T03:04:05.123456+02:00",
                }
            ],
            "consents": [
                {
                    "topic": "offers",
                    "channels": ["sms", "email"],
                    "granted_at": "2025-12-01T10:00:00Z",
                    "method": "signed_form",
                    "touchpoint": "pos",
                }
            ],
        },
        {  # the second chunk: updates the subject, a preference and supersedes the consent
            "external_id": ext,
            "preferences": [{"channel": "sms", "topic": "*", "status": "opted_in"}],
            "consents": [
                {
                    "topic": "offers",
                    "channels": ["email"],
                    "granted_at": "2025-12-02T10:00:00Z",
                    "status": "withdrawn",
                    "withdrawn_at": "2025-12-03T11:12:13.5Z",
                }
            ],
        },
    ]
    report = await service.import_file(api.ctx, _ndjson(rows), "ndjson", "stored.ndjson", chunk=1)
    assert (report.imported, report.rejected) == (2, [])

    async with api.ctx.db.read_session() as s:
        subject = (await s.execute(select(Subject).where(Subject.external_id == ext))).scalar_one()
        consents = (
            (
                await s.execute(
                    select(Consent).where(Consent.subject_id == subject.id).order_by(Consent.granted_at)
                )
            )
            .scalars()
            .all()
        )
        (pref,) = (await s.execute(select(Preference).where(Preference.subject_id == subject.id))).scalars()
    assert subject.do_not_contact is True and subject.revision == 2 and subject.erased_at is None
    assert subject.created_at.tzinfo is not None and subject.created_at.utcoffset().total_seconds() == 0
    first, second = consents
    assert (
        first.channels == ["email", "sms"] and first.is_current is False and first.superseded_by == second.id
    )
    assert first.granted_at == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert second.is_current is True and second.withdrawn_at == datetime(
        2025, 12, 3, 11, 12, 13, 500000, tzinfo=UTC
    )
    assert (first.method, first.touchpoint, first.actor_type, first.actor_id) == (
        "signed_form",
        "pos",
        "system",
        "import",
    )
    assert pref.status == "opted_in" and pref.updated_at.tzinfo is not None

    # The same values written through the ORM (as copies with other keys) are stored identically.
    with contextlib.suppress(_RolledBack):
        async with api.ctx.db.write_session() as s:
            copy_id = str(uuid.uuid4())
            for model, column, keys in _TABLES:
                imported = await _stored(s, model, column, subject.id)
                assert imported, model.__tablename__
                loaded = (
                    await s.execute(select(model).where(getattr(model, column) == subject.id))
                ).scalars()
                for n, obj in enumerate(loaded.all()):
                    values = {c.key: getattr(obj, c.key) for c in model.__table__.columns}
                    values.update(_copy_keys(keys, values, copy_id, n))
                    s.add(model(**values))
                await s.flush()
                copied = await _stored(s, model, column, copy_id)
                assert _without(copied, keys) == _without(imported, keys), model.__tablename__
            raise _RolledBack  # leave nothing of the copies


class _RolledBack(Exception):
    pass


def _without(rows: list[dict], keys: set[str]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in keys} for r in rows), key=repr)


def _copy_keys(keys: set[str], values: dict, copy_id: str, n: int) -> dict:
    out: dict = {}
    for key in keys:
        if key in ("subject_id",) or (key == "id" and "external_id" in keys):
            out[key] = copy_id
        elif key == "external_id":
            out[key] = f"copy-{copy_id}"
        elif key == "seq":
            out[key] = values["seq"] + 10**9
        else:
            out[key] = f"{values[key][:20]}-copy-{n}-{copy_id}"[
                : 64 if key in ("lookup_hash", "row_key") else 36
            ]
    return out
