"""GET /v1/audit/events: the whole log filtered by actor, event type, subject and time, newest first,
cursor-paginated, never decrypting sealed fields; on both engines through the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefcenter.store.models import ApiClient


async def _client_id(api, *scopes: str) -> str:
    """The id of the API client behind ``api.headers(*scopes)``."""
    token = await api.token(*scopes)
    return api.ctx.tokens.principal(token).client_id


async def _opt(api, subject_id: str, status: str, headers: dict) -> None:
    r = await api.client.patch(
        f"/v1/subjects/{subject_id}/preferences",
        json={"touchpoint": "web", "items": [{"channel": "email", "topic": "*", "status": status}]},
        headers=headers,
    )
    assert r.status_code == 200, r.text


async def _search(api, **params) -> dict:
    r = await api.client.get("/v1/audit/events", params=params, headers=await api.headers("audit:read"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_filter_by_actor_type_subject_and_time(api):
    writer = await api.headers("preferences:write")
    writer_id = await _client_id(api, "preferences:write")
    a = (await api.new_subject(identities=[{"kind": "email", "value": "search-a@example.com"}]))["id"]
    b = (await api.new_subject())["id"]
    for status in ("opted_out", "opted_in", "opted_out"):
        await _opt(api, a, status, writer)
    await _opt(api, b, "opted_out", writer)

    mine = await _search(api, actor=f"client:{writer_id}", limit=500)
    assert {e["actor_id"] for e in mine["items"]} == {writer_id}
    seqs = [e["seq"] for e in mine["items"]]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    assert {e["subject_id"] for e in mine["items"]} >= {a, b}

    of_a = await _search(api, subject_id=a, type="preference.set")
    assert [e["data"]["status"] for e in of_a["items"]] == ["opted_out", "opted_in", "opted_out"]
    assert all(e["subject_id"] == a and e["type"] == "preference.set" for e in of_a["items"])

    # sealed personal fields are never decrypted: identity.added says it has some, and shows no value
    added = await _search(api, subject_id=a, type="identity.added")
    assert added["items"][0]["has_sealed"] is True and "search-a" not in str(added["items"][0])

    clients = await _search(api, actor="client", limit=500)
    assert clients["items"] and all(e["actor_type"] == "client" for e in clients["items"])
    system = await _search(api, actor="system", limit=20)
    assert all(e["actor_type"] == "system" for e in system["items"])

    now = datetime.now(UTC)
    later = await _search(api, subject_id=a, **{"from": (now + timedelta(minutes=1)).isoformat()})
    assert later["items"] == []
    window = await _search(
        api,
        subject_id=a,
        type="preference.set",
        **{"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()},
    )
    assert len(window["items"]) == 3
    before = await _search(api, subject_id=a, to=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert before["items"] == []
    # from inclusive, to exclusive: the exact instant of an event
    at = of_a["items"][0]["occurred_at"]
    assert [e["seq"] for e in (await _search(api, subject_id=a, **{"from": at}))["items"]][-1] <= of_a[
        "items"
    ][0]["seq"]
    assert of_a["items"][0]["seq"] not in [
        e["seq"] for e in (await _search(api, subject_id=a, to=at))["items"]
    ]


async def test_pages_follow_the_cursor_without_gaps(api):
    writer = await api.headers("preferences:write")
    a = (await api.new_subject())["id"]
    for n in range(5):
        await _opt(api, a, "opted_out" if n % 2 == 0 else "opted_in", writer)
    everything = (await _search(api, subject_id=a, limit=500))["items"]
    seen, cursor = [], None
    while True:
        page = await _search(api, subject_id=a, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [e["seq"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["seq"] for e in everything] and len(seen) >= 6


async def test_scope_and_bad_filters(api):
    r = await api.client.get("/v1/audit/events", headers=await api.headers("preferences:read"))
    assert r.status_code == 403
    h = await api.headers("audit:read")
    for params in (
        {"actor": "robot"},
        {"actor": "client:"},
        {"type": "Consent Granted"},
        {"from": "yesterday"},
        {"to": "2026-12-01T10:00"},  # a time without an offset
        {"cursor": "!!"},
        {"limit": 0},
    ):
        r = await api.client.get("/v1/audit/events", params=params, headers=h)
        assert r.status_code == 400, (params, r.text)
    r = await api.client.get("/v1/audit/events", params={"from": "2026-02-30"}, headers=h)
    assert r.status_code in (400, 422), r.text


async def test_what_a_client_did_is_listed_after_it_was_created(api):
    admin = await api.admin()
    admin_id = await _client_id(api, "admin")
    r = await api.client.post(
        "/v1/subjects",
        json={"external_id": f"by-admin-{admin_id[:8]}-{datetime.now(UTC).timestamp()}"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    did = await _search(api, actor=f"client:{admin_id}", type="subject.created")
    assert [e["subject_id"] for e in did["items"]] == [r.json()["id"]]
    async with api.ctx.db.read_session() as session:
        assert await session.get(ApiClient, admin_id) is not None
