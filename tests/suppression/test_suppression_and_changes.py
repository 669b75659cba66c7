"""Suppression export (CSV/NDJSON, hashed or plain by scope) and the change feed with its cursor."""

from __future__ import annotations

import hashlib
import json

from tests.checks.helpers import subject_with
from tests.conftest import close_api, open_api
from tests.support.keys import with_rotated_master_key


async def _export(api, scopes=("consent:check",), **params):
    return await api.client.get(
        "/v1/suppressions",
        params={"channel": "email", "topic": "offers", **params},
        headers=await api.headers(*scopes),
    )


async def test_export_lists_denied_identities_only(api):
    allowed = await subject_with(api, consents=[("offers", ["email"])])
    opted_out = await subject_with(api, prefs=[("email", "*", "opted_out")])
    no_consent = await subject_with(api)
    r = await _export(api, scopes=("consent:check", "preferences:read"), identities="plain")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "kind,value,reason"
    rows = {line.split(",")[1]: line.split(",")[2] for line in lines[1:]}
    assert rows[opted_out["email"]] == "channel_opted_out"
    assert rows[no_consent["email"]] == "no_consent"
    assert allowed["email"] not in rows

    hashed = await _export(api, format="ndjson")
    assert hashed.status_code == 200 and hashed.headers["content-type"].startswith("application/x-ndjson")
    items = [json.loads(line) for line in hashed.text.splitlines()]
    digests = {i["sha256"] for i in items}
    assert hashlib.sha256(opted_out["email"].encode()).hexdigest() in digests
    assert hashlib.sha256(allowed["email"].encode()).hexdigest() not in digests
    assert all("value" not in i for i in items) and opted_out["email"] not in hashed.text


async def test_plain_export_needs_more_than_the_check_scope(api):
    r = await _export(api, identities="plain")
    assert r.status_code == 403
    assert (await _export(api, topic="nope")).status_code == 422
    assert (await _export(api, channel="post")).status_code == 422  # no identity kind reaches post


async def test_change_feed_pages_with_a_cursor(api):
    h = await api.headers("consent:check")
    start = (await api.client.get("/v1/changes", params={"limit": 1000}, headers=h)).json()
    cursor = start["next_cursor"]
    while start["has_more"]:
        start = (
            await api.client.get("/v1/changes", params={"after": cursor, "limit": 1000}, headers=h)
        ).json()
        cursor = start["next_cursor"]
    s = await subject_with(api, prefs=[("sms", "*", "opted_out")], consents=[("offers", ["email"])])
    page = (await api.client.get("/v1/changes", params={"after": cursor, "limit": 1}, headers=h)).json()
    assert len(page["items"]) == 1 and page["has_more"] is True
    rest = (await api.client.get("/v1/changes", params={"after": page["next_cursor"]}, headers=h)).json()
    seen = page["items"] + rest["items"]
    assert [c["type"] for c in seen] == ["preference.set", "consent.granted"]
    assert all(c["subject_id"] == s["id"] for c in seen)
    assert seen[0]["data"]["channel"] == "sms" and seen[0]["data"]["status"] == "opted_out"
    assert seen[0]["seq"] < seen[1]["seq"] and rest["has_more"] is False
    empty = (await api.client.get("/v1/changes", params={"after": rest["next_cursor"]}, headers=h)).json()
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]
    # a cursor is the digits of a sequence number: anything else is refused like any invalid parameter
    for after in ("x", "-1", "\u0663", "1" * 19):
        assert (await api.client.get("/v1/changes", params={"after": after}, headers=h)).status_code == 400
    assert (
        await api.client.get("/v1/changes", headers=await api.headers("preferences:read"))
    ).status_code == 403


async def test_export_reads_subjects_still_wrapped_by_the_previous_master_key(new_backend, tmp_path):
    """During a master key rotation (before `prefcenter keys rewrap`) the export must still read every
    subject's identities, whichever master key wraps its data key."""
    settings = new_backend("sqlite")
    before = await open_api(settings)
    try:
        opted_out = await subject_with(before, prefs=[("email", "*", "opted_out")])
    finally:
        await close_api(before)
    rotated = with_rotated_master_key(settings, tmp_path / "new")
    after = await open_api(rotated)
    try:
        newer = await subject_with(after, prefs=[("email", "*", "opted_out")])
        r = await _export(after, scopes=("consent:check", "preferences:read"), identities="plain")
        assert r.status_code == 200, r.text
        assert opted_out["email"] in r.text and newer["email"] in r.text
    finally:
        await close_api(after)
