"""The request lifecycle over HTTP: intake, duplicates, verification, deadlines, officer actions."""

from __future__ import annotations

import re
from datetime import datetime

from tests.dsr.support import create_request, drain, dsr_headers, get_request, verified_request

PROBLEM = "application/problem+json"


async def test_create_by_subject_external_id_and_identity(api):
    s = await api.new_subject(identities=[{"kind": "email", "value": "lifecycle-a@example.com"}])
    h = await dsr_headers(api)
    r = await api.client.post("/v1/dsr-requests", json={"type": "access", "subject_id": s["id"]}, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "received" and body["addressed_by"] == "subject_id"
    received = datetime.fromisoformat(body["received_at"])
    due = datetime.fromisoformat(body["due_at"])
    assert due.month == (received.month % 12) + 1 and 28 <= (due - received).days <= 31
    assert [x["to_status"] for x in body["history"]] == ["received"]

    r = await api.client.post(
        "/v1/dsr-requests", json={"type": "objection", "external_id": s["external_id"]}, headers=h
    )
    assert r.status_code == 201 and r.json()["addressed_by"] == "external_id"
    r = await api.client.post(
        "/v1/dsr-requests",
        json={"type": "restriction", "identity": "email:Lifecycle-A@example.com "},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["addressed_by"] == "identity:email", r.text


async def test_duplicates_are_linked_not_run_twice(api):
    s = await api.new_subject()
    first = await create_request(api, s["id"], "portability")
    r = await api.client.post(
        "/v1/dsr-requests",
        json={"type": "portability", "subject_id": s["id"]},
        headers=await dsr_headers(api),
    )
    assert r.status_code == 200 and r.json()["id"] == first["id"] and r.json()["duplicates"] == 1
    assert r.json()["history"][-1]["action"] == "duplicate"


async def test_bad_requests_get_problem_json(api):
    h = await dsr_headers(api)
    s = await api.new_subject()
    cases = [
        ({"type": "erasure", "subject_id": "7b3c6a5e-0000-4000-8000-000000000000"}, 404, "not-found"),
        ({"type": "erasure", "identity": "email:nobody-here@example.com"}, 404, "not-found"),
        ({"type": "forget-me", "subject_id": s["id"]}, 400, "validation-error"),
        ({"type": "erasure"}, 422, "invalid-input"),
        ({"type": "erasure", "subject_id": s["id"], "external_id": "x"}, 422, "invalid-input"),
    ]
    for body, status, slug in cases:
        r = await api.client.post("/v1/dsr-requests", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith(PROBLEM) and r.json()["type"].endswith(slug), r.text
    r = await api.client.get("/v1/dsr-requests/not-a-uuid", headers=h)
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    r = await api.client.post(
        "/v1/dsr-requests",
        json={"type": "erasure", "subject_id": s["id"]},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 403


async def test_verification_code_through_the_sender(api):
    s = await api.new_subject(identities=[{"kind": "email", "value": "code-me@example.com"}])
    req = await create_request(api, s["id"], "access")
    h = await dsr_headers(api)
    sent = []

    class Capture:
        async def send(self, message):
            sent.append(message)

    original, api.ctx.sender = api.ctx.sender, Capture()
    try:
        r = await api.client.post(f"/v1/dsr-requests/{req['id']}/verification-code", headers=h)
    finally:
        api.ctx.sender = original
    assert r.status_code == 202, r.text
    assert sent and sent[0].to == "code-me@example.com"
    code = re.search(r"code: (\d{6})", sent[0].text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/verify", json={"code": wrong}, headers=h)
    assert r.status_code == 422 and r.json()["reason"] == "wrong_code"
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/verify", json={"code": code}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified" and r.json()["verification_method"] == "code"
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/verify", json={"code": code}, headers=h)
    assert r.status_code == 409


async def test_extension_once_and_within_the_limit(api):
    s = await api.new_subject()
    req = await create_request(api, s["id"], "rectification")
    h = await dsr_headers(api)
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/extend", json={"months": 3, "reason": "complex"}, headers=h
    )
    assert r.status_code == 422 and r.json()["reason"] == "extension_limit", r.text
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/extend", json={"months": 2, "reason": "many systems"}, headers=h
    )
    assert r.status_code == 200, r.text
    before, after = datetime.fromisoformat(req["due_at"]), datetime.fromisoformat(r.json()["due_at"])
    assert 58 <= (after - before).days <= 62 and r.json()["extension_reason"] == "many systems"
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/extend", json={"months": 1, "reason": "again"}, headers=h
    )
    assert r.status_code == 409 and r.json()["reason"] == "already_extended"


async def test_cancel_note_list_and_filters(api):
    s = await api.new_subject()
    req = await create_request(api, s["id"], "objection")
    h = await dsr_headers(api)
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/notes", json={"note": "called the customer"}, headers=h
    )
    assert r.status_code == 200 and r.json()["history"][-1]["reason"] == "called the customer"
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/cancel", json={"reason": "withdrawn by phone"}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["outcome"] == "cancelled"
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/cancel", json={"reason": "again"}, headers=h)
    assert r.status_code == 409
    r = await api.client.post(f"/v1/dsr-requests/{req['id']}/retry", headers=h)
    assert r.status_code == 409
    r = await api.client.get(
        "/v1/dsr-requests", params={"status": "rejected", "type": "objection"}, headers=h
    )
    assert req["id"] in [x["id"] for x in r.json()["items"]]
    assert all(x["status"] == "rejected" and x["type"] == "objection" for x in r.json()["items"])
    r = await api.client.get("/v1/dsr-requests", params={"overdue": "true"}, headers=h)
    assert r.status_code == 200 and all(x["overdue"] for x in r.json()["items"])
    r = await api.client.get("/v1/dsr-requests", params={"limit": 1}, headers=h)
    page2 = await api.client.get(
        "/v1/dsr-requests", params={"limit": 1, "cursor": r.json()["next_cursor"]}, headers=h
    )
    assert page2.status_code == 200 and page2.json()["items"][0]["id"] != r.json()["items"][0]["id"]


async def test_restriction_and_objection_run_in_the_worker(api):
    s = await api.new_subject()
    restriction = await verified_request(api, s["id"], "restriction")
    await drain(api)
    done = await get_request(api, restriction["id"])
    assert done["status"] == "completed" and done["outcome"] == "restricted"
    assert [x["to_status"] for x in done["history"] if x["action"] == "status"] == [
        "received",
        "verified",
        "in_progress",
        "completed",
    ]
    profile = (
        await api.client.get(f"/v1/subjects/{s['id']}/profile", headers=await api.headers("preferences:read"))
    ).json()
    assert profile["settings"]["do_not_contact"] is True
    events = (
        await api.client.get(f"/v1/subjects/{s['id']}/events", headers=await api.headers("preferences:read"))
    ).json()
    types = [e["type"] for e in events["items"]]
    assert "dsr.received" in types and types.count("dsr.status_changed") == 3
