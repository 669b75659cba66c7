"""Subjects, identities, profile, preferences: the happy paths and every kind of bad input."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def _is_problem(r, status: int, slug: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert (
        body["status"] == status
        and body["type"].startswith("https://prefcenter.dev/problems/")
        and body["detail"]
    )
    if slug:
        assert body["type"].endswith("/" + slug), body


async def test_create_get_and_look_up_a_subject(api):
    ext = f"c-{uuid.uuid4().hex[:8]}"
    email = f"Ann.{uuid.uuid4().hex[:6]}@Example.COM "
    created = await api.new_subject(
        external_id=ext,
        identities=[{"kind": "email", "value": email}, {"kind": "phone", "value": "+49 151 1234 5678"}],
    )
    assert created["external_id"] == ext
    kinds = {i["kind"]: i["masked"] for i in created["identities"]}
    assert kinds["email"].startswith("a***@") and "Ann" not in kinds["email"]
    assert kinds["phone"].endswith("678") and "1234" not in kinds["phone"]

    read = await api.headers("preferences:read")
    by_id = await api.client.get(f"/v1/subjects/{created['id']}", headers=read)
    assert by_id.status_code == 200 and by_id.json()["id"] == created["id"]
    by_email = await api.client.get(
        "/v1/subjects", params={"identity": f"email:{email.strip().lower()}"}, headers=read
    )
    assert by_email.status_code == 200 and by_email.json()["id"] == created["id"]
    by_phone = await api.client.get(
        "/v1/subjects", params={"identity": "phone:0049-151-12345678"}, headers=read
    )
    assert by_phone.json()["id"] == created["id"]
    by_ext = await api.client.get("/v1/subjects", params={"external_id": ext}, headers=read)
    assert by_ext.json()["id"] == created["id"]

    _is_problem(
        await api.client.get("/v1/subjects", params={"external_id": "nope"}, headers=read), 404, "not-found"
    )
    _is_problem(await api.client.get("/v1/subjects", headers=read), 422, "invalid-input")
    _is_problem(await api.client.get("/v1/subjects", params={"identity": "fax:123"}, headers=read), 422)
    _is_problem(await api.client.get(f"/v1/subjects/{uuid.uuid4()}", headers=read), 404)
    _is_problem(await api.client.get("/v1/subjects/not-a-uuid", headers=read), 404)


async def test_identities_are_unique_and_validated(api):
    write = await api.headers("preferences:write")
    email = f"dup-{uuid.uuid4().hex[:6]}@example.com"
    first = await api.new_subject(identities=[{"kind": "email", "value": email}])
    r = await api.client.post(
        "/v1/subjects", json={"identities": [{"kind": "email", "value": email.upper()}]}, headers=write
    )
    _is_problem(r, 409, "conflict")
    r = await api.client.post("/v1/subjects", json={"external_id": first["external_id"]}, headers=write)
    _is_problem(r, 409, "conflict")
    r = await api.client.post(
        "/v1/subjects", json={"identities": [{"kind": "email", "value": "not-an-email"}]}, headers=write
    )
    _is_problem(r, 422, "invalid-input")
    r = await api.client.post(
        f"/v1/subjects/{first['id']}/identities",
        json={"kind": "phone", "value": "+33 6 12 34 56 78"},
        headers=write,
    )
    assert r.status_code == 201 and {i["kind"] for i in r.json()["identities"]} == {"email", "phone"}


async def test_bad_bodies_get_4xx_problem_json_never_500(api):
    write = await api.headers("preferences:write")
    subject = await api.new_subject()
    url = f"/v1/subjects/{subject['id']}/preferences"
    cases = [
        ("POST", "/v1/subjects", {"external_id": "x", "surprise": 1}),  # unknown field
        ("POST", "/v1/subjects", {"external_id": 42}),  # wrong type
        ("POST", "/v1/subjects", {"external_id": "x" * 201}),  # over-long
        ("PATCH", url, {"touchpoint": "telepathy"}),  # bad enum
        (
            "PATCH",
            url,
            {"touchpoint": "web", "items": [{"channel": "email", "topic": "newsletter", "status": "maybe"}]},
        ),
        ("PATCH", url, {"touchpoint": "web", "frequency": "hourly"}),
        ("POST", "/v1/subjects", [1, 2, 3]),
    ]
    for method, path, body in cases:
        r = await api.client.request(method, path, json=body, headers=write)
        _is_problem(r, 400, "validation-error")
    r = await api.client.post(
        "/v1/subjects", content=b"{not json", headers={**write, "content-type": "application/json"}
    )
    _is_problem(r, 400)
    big = {"external_id": "x", "identities": [{"kind": "email", "value": "a" * 300}] * 10_000}
    r = await api.client.post("/v1/subjects", json=big, headers=write)
    _is_problem(r, 413, "payload-too-large")
    r = await api.client.patch(
        url,
        json={
            "touchpoint": "web",
            "items": [{"channel": "email", "topic": "no_such_topic", "status": "opted_in"}],
        },
        headers=write,
    )
    _is_problem(r, 422, "invalid-input")
    r = await api.client.patch(
        url,
        json={"touchpoint": "web", "items": [{"channel": "push", "topic": "billing", "status": "opted_in"}]},
        headers=write,
    )
    _is_problem(r, 422)
    r = await api.client.delete("/v1/subjects", headers=write)
    _is_problem(r, 405)
    r = await api.client.get("/v1/nothing-here", headers=write)
    _is_problem(r, 404)


async def test_preferences_many_at_once_with_etag_and_if_match(api):
    write = await api.headers("preferences:write", "preferences:read")
    subject = await api.new_subject()
    url = f"/v1/subjects/{subject['id']}/preferences"
    profile = await api.client.get(f"/v1/subjects/{subject['id']}/profile", headers=write)
    assert profile.status_code == 200
    etag = profile.headers["etag"]
    assert profile.json()["revision"] == int(etag.strip('"'))

    body = {
        "touchpoint": "support",
        "reason": "customer called",
        "items": [
            {"channel": "email", "topic": "product_updates", "status": "opted_out"},
            {"channel": "sms", "topic": "*", "status": "opted_out"},
            {"channel": "email", "topic": "newsletter", "status": "opted_in"},
        ],
        "preferred_channel": "email",
        "language": "de",
        "frequency": "weekly",
    }
    r = await api.client.patch(url, json=body, headers={**write, "If-Match": etag})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["revision"] == profile.json()["revision"] + 1
    assert r.headers["etag"] == f'"{updated["revision"]}"'
    assert updated["settings"] == {
        "do_not_contact": False,
        "preferred_channel": "email",
        "language": "de",
        "frequency": "weekly",
    }
    assert {(p["channel"], p["topic"], p["status"]) for p in updated["preferences"]} == {
        ("email", "product_updates", "opted_out"),
        ("sms", "*", "opted_out"),
        ("email", "newsletter", "opted_in"),
    }
    # the old ETag is stale now
    r = await api.client.patch(
        url, json={"touchpoint": "web", "do_not_contact": True}, headers={**write, "If-Match": etag}
    )
    _is_problem(r, 412, "precondition-failed")
    # repeating the same values changes nothing and bumps nothing
    r = await api.client.patch(url, json=body, headers=write)
    assert r.json()["revision"] == updated["revision"]
    events = (await api.client.get(f"/v1/subjects/{subject['id']}/events", headers=write)).json()["items"]
    assert [e["type"] for e in events].count("preference.set") == 3
    assert all(e["touchpoint"] == "support" for e in events if e["type"] == "preference.set")


async def test_idempotency_key_replays_the_first_response(api):
    write = await api.headers("preferences:write")
    key = uuid.uuid4().hex
    body = {"external_id": f"idem-{key[:8]}"}
    first = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    again = await api.client.post("/v1/subjects", json=body, headers={**write, "Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = await api.client.post(
        "/v1/subjects", json={"external_id": "something-else"}, headers={**write, "Idempotency-Key": key}
    )
    _is_problem(other, 422, "idempotency-key-reused")
    # a different caller's same key is a different key
    other_caller = await api.headers("preferences:write", "preferences:read")
    r = await api.client.post(
        "/v1/subjects",
        json={"external_id": f"idem2-{key[:8]}"},
        headers={**other_caller, "Idempotency-Key": key},
    )
    assert r.status_code == 201


async def test_health_and_ready(api):
    assert (await api.client.get("/health")).json() == {"status": "ok"}
    assert (await api.client.get("/ready")).json() == {"status": "ready"}


async def test_catalog_keys_in_paths_are_validated(api):
    h = await api.admin()
    r = await api.client.put("/v1/catalog/channels/Bad%20Key", json={"name": "x"}, headers=h)
    assert r.status_code == 400 and r.json()["type"].endswith("/validation-error")
    r = await api.client.put(
        "/v1/catalog/topics/" + "a" * 61,
        json={"name": "x", "legal_basis": "consent", "channels": ["email"]},
        headers=h,
    )
    assert r.status_code == 400


async def test_unknown_or_repeated_query_parameters_are_refused(api):
    h = await api.headers("preferences:read")
    r = await api.client.get("/v1/subjects", params={"external_id": "x", "surprise": "1"}, headers=h)
    assert r.status_code == 400 and "surprise" in r.json()["detail"]
    r = await api.client.get("/v1/subjects?external_id=a&external_id=b", headers=h)
    assert r.status_code == 400 and "more than once" in r.json()["detail"]
    assert (await api.client.get("/v1/catalog?x=1", headers=h)).status_code == 400
    assert (await api.client.get("/", params={"utm_source": "mail"})).status_code == 200  # pages are lenient
