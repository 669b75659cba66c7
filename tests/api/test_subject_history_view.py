"""A subject token (the widget, the hosted /p/ page) reads its own history without the company's internals:
no officer or staff notes, no internal DSR steps, no legal hold, no staff/agent/client ids. API clients
with ``preferences:read`` keep the whole history."""

from __future__ import annotations

from prefcenter.audit.schemas import EventRead
from prefcenter.audit.subject_view import for_subject


async def _subject_headers(api, subject_id: str, **body) -> dict[str, str]:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/widget-tokens", json=body, headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _set(api, subject_id: str, headers: dict, status: str, reason: str):
    r = await api.client.patch(
        f"/v1/subjects/{subject_id}/preferences",
        json={
            "touchpoint": "web",
            "reason": reason,
            "items": [{"channel": "email", "topic": "product_updates", "status": status}],
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text


async def _history(api, subject_id: str, headers: dict, limit: int = 200) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await api.client.get(f"/v1/subjects/{subject_id}/events", params=params, headers=headers)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


async def _officer_work(api, subject_id: str) -> None:
    dsr = await api.headers("dsr:manage")
    r = await api.client.post(
        "/v1/dsr-requests",
        json={"type": "access", "subject_id": subject_id, "note": "INTAKE-SECRET caller sounded upset"},
        headers=dsr,
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    for path, body in (
        ("verify", {"note": "OFFICER-SECRET date of birth matched on the phone"}),
        ("extend", {"months": 1, "reason": "Your request covers many systems; we need another month."}),
        ("notes", {"note": "NOTE-SECRET ask legal first"}),
        ("cancel", {"reason": "CANCEL-SECRET duplicate of a paper request"}),
    ):
        r = await api.client.post(f"/v1/dsr-requests/{request_id}/{path}", json=body, headers=dsr)
        assert r.status_code == 200, (path, r.text)
    r = await api.client.put(
        f"/v1/subjects/{subject_id}/legal-hold",
        json={"reason": "HOLD-SECRET litigation pending"},
        headers=dsr,
    )
    assert r.status_code == 200, r.text


async def test_a_subject_token_sees_no_officer_notes_or_internal_steps(api):
    ann = await api.new_subject(identities=[{"kind": "email", "value": f"ann-{api.engine}-hist@example.com"}])
    customer = await _subject_headers(api, ann["id"])
    agent = await _subject_headers(api, ann["id"], mode="agent", agent_id="agent-7")
    await _set(api, ann["id"], customer, "opted_in", "I want the product news")
    await _set(api, ann["id"], agent, "opted_out", "AGENT-SECRET she sounded unsure")
    await _set(api, ann["id"], await api.headers("preferences:write"), "opted_in", "CLIENT-SECRET crm sync")
    await _officer_work(api, ann["id"])

    full = await _history(api, ann["id"], await api.headers("preferences:read"))
    assert any("OFFICER-SECRET" in str(e["data"]) for e in full)  # the company sees everything
    assert "subject.legal_hold_set" in {e["type"] for e in full}

    seen = await _history(api, ann["id"], customer)
    text = str(seen)
    for secret in ("SECRET", "agent-7", "litigation", "addressed_by"):
        assert secret not in text, secret
    types = [e["type"] for e in seen]
    assert "subject.legal_hold_set" not in types
    assert {"subject.created", "preference.set", "dsr.received", "dsr.status_changed", "dsr.extended"} <= set(
        types
    )
    assert [e["data"]["to"] for e in seen if e["type"] == "dsr.status_changed"] == ["verified", "rejected"]
    extended = next(e for e in seen if e["type"] == "dsr.extended")
    assert extended["data"]["reason"].startswith("Your request covers")  # told to the subject (Art. 12(3))
    own = [e for e in seen if e["type"] == "preference.set" and e["actor_type"] == "customer"]
    assert own[0]["data"]["reason"] == "I want the product news" and own[0]["actor_id"] == ann["id"]
    for e in seen:
        if e["actor_type"] != "customer":
            assert e["actor_id"] is None, e
    # what a subject sees is the full history filtered, in order, with the same seq and hash
    by_seq = {e["seq"]: e for e in full}
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    assert all(by_seq[e["seq"]]["hash"] == e["hash"] for e in seen)
    # small pages walk the same events (filtering happens before paging: no gaps, no empty pages)
    assert await _history(api, ann["id"], customer, limit=2) == seen


def test_unknown_event_types_are_not_shown_to_the_subject():
    event = EventRead(
        seq=1,
        occurred_at="2026-12-01T00:00:00.000000Z",
        type="something.new_and_internal",
        actor_type="staff",
        actor_id="staff:1",
        touchpoint=None,
        data={"note": "internal"},
        hash="0" * 64,
    )
    assert for_subject(event) is None
    known = EventRead(
        **{**{f: getattr(event, f) for f in event.__struct_fields__}, "type": "dsr.status_changed"}
    )
    known.data = {"request_id": "r", "type": "access", "from": "received", "to": "verified", "reason": "x"}
    seen = for_subject(known)
    assert seen is not None and "reason" not in seen.data and seen.actor_id is None
