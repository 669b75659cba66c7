"""CSV injection: the DSR export zip's CSV files neutralise formula cells; export.json keeps every value."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile

from tests.dsr.support import drain, dsr_headers, get_request, verified_request


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
    req = await verified_request(api, subject["id"], "access")
    await drain(api)
    assert (await get_request(api, req["id"]))["status"] == "completed"
    link = (
        await api.client.post(f"/v1/dsr-requests/{req['id']}/export-links", headers=await dsr_headers(api))
    ).json()
    r = await api.client.get("/" + link["url"].split("://", 1)[1].split("/", 1)[1])
    assert r.status_code == 200, r.text
    archive = zipfile.ZipFile(io.BytesIO(r.content))

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
