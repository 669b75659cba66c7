"""CSV injection: the DSR export zip's CSV files neutralise formula cells; export.json keeps every value."""

from __future__ import annotations

import csv
import io
import json
import uuid

from tests.dsr.support import exported_archive


async def test_export_csv_cells_never_reach_a_spreadsheet_as_formulas(api):
    tag = uuid.uuid4().hex[:8]
    email = f"=cmd|'/c&calc'!a0-{tag}@evil.example"
    customer_id = f"@SUM(1+1)*cmd|' /C calc'!A0 {tag}"
    phone = "+4915" + str(uuid.uuid4().int)[:9]
    subject = await api.new_subject(
        identities=[
            {"kind": "email", "value": email},
            {"kind": "customer_id", "value": customer_id},
            {"kind": "phone", "value": phone},
        ]
    )
    archive = await exported_archive(api, subject["id"])

    rows = list(csv.DictReader(io.StringIO(archive.read("identities.csv").decode(), newline="")))
    values = {row["kind"]: row["value"] for row in rows}
    assert values == {"email": "'" + email, "customer_id": "'" + customer_id, "phone": phone}
    document = json.loads(archive.read("export.json"))
    assert {i["value"] for i in document["identities"]} == {email, customer_id, phone}  # JSON: exact
    for name in archive.namelist():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(archive.read(name).decode(), newline="")):
                assert all(cell[:1] not in ("=", "-", "@", "\t", "\r") for cell in row), (name, row)
                assert all(cell[:1] != "+" or cell == phone for cell in row), (name, row)
