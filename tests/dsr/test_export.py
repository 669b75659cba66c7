"""Access/portability exports: complete content, encrypted at rest, single-use expiring signed links."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import timedelta

from sqlalchemy import update

from prefcenter.store.models_dsr import DsrExport, ExportLink
from prefcenter.store.unit_of_work import utcnow
from tests.conftest import close_api, open_api
from tests.dsr.support import drain, dsr_headers, get_request, verified_request
from tests.support.keys import with_rotated_master_key

PROBLEM = "application/problem+json"


async def test_export_download_once_and_audited(api):
    email = f"export-{uuid.uuid4().hex[:8]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    w = await api.headers("preferences:write")
    await api.client.patch(
        f"/v1/subjects/{subject['id']}/preferences",
        json={
            "touchpoint": "web",
            "language": "de",
            "items": [{"channel": "email", "topic": "*", "status": "opted_in"}],
        },
        headers=w,
    )
    req = await verified_request(api, subject["id"], "access")
    await drain(api)
    done = await get_request(api, req["id"])
    assert done["status"] == "completed" and done["export"]["schema_version"] == "1.2", done

    async with api.ctx.db.read_session() as session:
        stored = await session.get(DsrExport, done["export"]["id"])
        assert email.encode() not in stored.blob  # encrypted at rest

    h = await dsr_headers(api)
    link = (await api.client.post(f"/v1/dsr-requests/{req['id']}/export-links", headers=h)).json()
    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    r = await api.client.get("/" + path)  # no bearer token: the signed link is the credential
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/zip")
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert {
        "export.json",
        "README.md",
        "identities.csv",
        "preferences.csv",
        "consents.csv",
        "events.csv",
        "dsr_requests.csv",
    } <= set(archive.namelist())
    import json

    document = json.loads(archive.read("export.json"))
    assert document["schema"] == "prefcenter.export" and document["schema_version"] == "1.2"
    assert document["identities"][0]["value"] == email
    assert any(
        e["type"] == "identity.added" and e["personal"] == {"value": email} for e in document["events"]
    )
    assert document["subject"]["settings"]["language"] == "de"
    assert any(x["id"] == req["id"] for x in document["dsr_requests"])
    rows = list(csv.DictReader(io.StringIO(archive.read("identities.csv").decode())))
    assert rows[0]["value"] == email

    replay = await api.client.get("/" + path)
    assert replay.status_code == 410 and replay.headers["content-type"].startswith(PROBLEM)
    assert replay.json()["reason"] == "link_used"
    tampered = "/" + path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    r = await api.client.get(tampered)
    assert r.status_code == 403 and r.json()["reason"] == "bad_link"

    expired = (await api.client.post(f"/v1/dsr-requests/{req['id']}/export-links", headers=h)).json()
    link_id = expired["url"].rsplit("/", 1)[1].split(".")[0]
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(ExportLink)
            .where(ExportLink.id == link_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await api.client.get("/" + expired["url"].split("://", 1)[1].split("/", 1)[1])
    assert r.status_code == 410 and r.json()["reason"] == "link_expired"

    events = (
        await api.client.get(
            f"/v1/subjects/{subject['id']}/events",
            params={"limit": 500},
            headers=await api.headers("preferences:read"),
        )
    ).json()["items"]
    assert [e["type"] for e in events].count("dsr.export_downloaded") == 1


async def test_export_link_before_ready_is_a_clear_conflict(api):
    subject = await api.new_subject()
    req = await verified_request(api, subject["id"], "portability")
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/export-links", headers=await dsr_headers(api))
    assert r.status_code == 409 and r.json()["reason"] == "no_export"
    await drain(api)


async def test_a_link_minted_before_a_master_key_rotation_still_downloads(new_backend, tmp_path):
    settings = new_backend("sqlite")
    before = await open_api(settings)
    try:
        subject = await before.new_subject(identities=[{"kind": "email", "value": "rot@example.com"}])
        req = await verified_request(before, subject["id"], "access")
        await drain(before)
        link = (
            await before.client.post(
                f"/v1/dsr-requests/{req['id']}/export-links", headers=await dsr_headers(before)
            )
        ).json()
    finally:
        await close_api(before)
    rotated = with_rotated_master_key(settings, tmp_path / "new")
    after = await open_api(rotated)
    try:
        r = await after.client.get("/" + link["url"].split("://", 1)[1].split("/", 1)[1])
        assert r.status_code == 200, r.text
        assert "rot@example.com" in zipfile.ZipFile(io.BytesIO(r.content)).read("export.json").decode()
    finally:
        await close_api(after)
