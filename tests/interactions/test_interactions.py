"""Interactions through the real app on both engines: record and list, the scopes, who may read them
(never a customer's subject token; an agent-mode widget token the last five, without summaries), the
audit event with the summary sealed, the change feed and webhooks without it, exports, erasure."""

from __future__ import annotations

import csv
import io
import json
import uuid

from sqlalchemy import select

from prefcenter.core import crypto
from prefcenter.store.models import Event
from prefcenter.store.unit_of_work import load_data_key
from tests.dsr.support import drain, exported_archive, get_request, verified_request


def _contact(**overrides) -> dict:
    body = {
        "channel": "chat",
        "touchpoint": "support",
        "direction": "inbound",
        "topic": "billing",
        "summary": "Asked why the March invoice was charged twice",
        "outcome": "transferred",
        "handle_seconds": 240,
        "agent": "cc-agent-17",
    }
    return {**body, **overrides}


async def _record(api, subject_id: str, **overrides) -> dict:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/interactions",
        json=_contact(**overrides),
        headers=await api.headers("interactions:write"),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _widget_token(api, subject_id: str, scopes: tuple[str, ...], **body) -> dict[str, str]:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/widget-tokens", json=body, headers=await api.headers(*scopes)
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def test_record_and_list_newest_first_with_a_channel_switch(api):
    subject = await api.new_subject()
    sid = subject["id"]
    chat = await _record(api, sid)
    assert chat["summary"] == _contact()["summary"] and chat["actor_type"] == "client"
    phone = await _record(
        api,
        sid,
        channel="phone",
        direction="outbound",
        outcome="resolved",
        continues=chat["id"],
        summary=None,
    )
    assert phone["continues"] == chat["id"] and phone["summary"] is None
    store = await _record(api, sid, channel="in_store", touchpoint="pos", outcome="follow_up")

    read = await api.headers("interactions:read")
    page = (
        await api.client.get(f"/v1/subjects/{sid}/interactions", params={"limit": 2}, headers=read)
    ).json()
    assert [i["id"] for i in page["items"]] == [store["id"], phone["id"]]
    rest = (
        await api.client.get(
            f"/v1/subjects/{sid}/interactions", params={"cursor": page["next_cursor"]}, headers=read
        )
    ).json()
    assert [i["id"] for i in rest["items"]] == [chat["id"]] and rest["next_cursor"] is None
    assert rest["items"][0]["summary"] == _contact()["summary"]


async def test_the_rules_of_a_contact(api):
    sid = (await api.new_subject())["id"]
    other = (await api.new_subject())["id"]
    w = await api.headers("interactions:write")
    theirs = await _record(api, other)
    for body, status in (
        (_contact(channel="pigeon"), 422),  # neither a catalog channel nor a contact channel
        (_contact(channel="email"), 201),  # a catalog channel
        (_contact(continues=theirs["id"]), 422),  # another subject's interaction
        (_contact(continues=str(uuid.uuid4())), 422),
        (_contact(agent="a" * 65), 400),
        (_contact(direction="sideways"), 400),
        (_contact(outcome="lost"), 400),
        (_contact(handle_seconds=-1), 400),
        (_contact(summary="nul \x00 here"), 400),
        ({**_contact(), "colour": "blue"}, 400),
    ):
        r = await api.client.post(f"/v1/subjects/{sid}/interactions", json=body, headers=w)
        assert r.status_code == status, (body, r.text)
    r = await api.client.post(f"/v1/subjects/{uuid.uuid4()}/interactions", json=_contact(), headers=w)
    assert r.status_code == 404


async def test_scopes(api):
    sid = (await api.new_subject())["id"]
    url = f"/v1/subjects/{sid}/interactions"
    r = await api.client.post(url, json=_contact(), headers=await api.headers("interactions:read"))
    assert r.status_code == 403
    r = await api.client.get(url, headers=await api.headers("preferences:read", "preferences:write"))
    assert r.status_code == 403
    assert (await api.client.post(url, json=_contact(), headers=await api.admin())).status_code == 201
    assert (await api.client.get(url, headers=await api.admin())).status_code == 200


async def test_a_customers_subject_token_never_reads_interactions(api):
    sid = (await api.new_subject())["id"]
    await _record(api, sid)
    customer = await _widget_token(api, sid, ("preferences:write", "interactions:read"))
    r = await api.client.get(f"/v1/subjects/{sid}/interactions", params={"limit": 5}, headers=customer)
    assert r.status_code == 403, r.text
    history = (
        await api.client.get(f"/v1/subjects/{sid}/events", params={"limit": 500}, headers=customer)
    ).json()
    assert history["items"] and all(not e["type"].startswith("interaction") for e in history["items"])
    profile = await api.client.get(f"/v1/subjects/{sid}/profile", headers=customer)
    assert profile.status_code == 200 and "interaction" not in profile.text
    assert _contact()["summary"] not in profile.text


async def test_an_agent_mode_token_reads_the_last_five_without_summaries(api):
    sid = (await api.new_subject())["id"]
    made = [await _record(api, sid, topic=f"topic{n}") for n in range(7)]
    agent = await _widget_token(
        api, sid, ("preferences:write", "interactions:read"), mode="agent", agent_id="staff-9"
    )
    url = f"/v1/subjects/{sid}/interactions"
    r = await api.client.get(url, params={"limit": 5}, headers=agent)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["id"] for i in items] == [m["id"] for m in reversed(made)][:5]
    assert all(i["summary"] is None for i in items)
    assert (await api.client.get(url, params={"limit": 6}, headers=agent)).status_code == 403
    cursor = (
        await api.client.get(url, params={"limit": 2}, headers=await api.headers("interactions:read"))
    ).json()
    r = await api.client.get(url, params={"limit": 5, "cursor": cursor["next_cursor"]}, headers=agent)
    assert r.status_code == 403
    other = (await api.new_subject())["id"]
    assert (
        await api.client.get(f"/v1/subjects/{other}/interactions", params={"limit": 5}, headers=agent)
    ).status_code == 404
    assert (await api.client.post(url, json=_contact(), headers=agent)).status_code == 403

    # the minting client must hold interactions:read itself
    plain_agent = await _widget_token(api, sid, ("preferences:write",), mode="agent", agent_id="staff-9")
    assert (await api.client.get(url, params={"limit": 5}, headers=plain_agent)).status_code == 403


async def test_audited_with_the_summary_sealed(api):
    sid = (await api.new_subject())["id"]
    made = await _record(api, sid)
    async with api.ctx.db.read_session() as session:
        event = (
            await session.execute(
                select(Event).where(Event.subject_id == sid, Event.type == "interaction.recorded")
            )
        ).scalar_one()
        key = await load_data_key(session, api.ctx.keys, sid)
    data = json.loads(event.data)
    assert (
        data["interaction_id"] == made["id"]
        and data["channel"] == "chat"
        and data["outcome"] == "transferred"
    )
    assert "summary" not in data and data["has_summary"] is True and _contact()["summary"] not in event.data
    assert _contact()["summary"].encode() not in event.sealed
    assert crypto.unseal_json(key, event.sealed) == {"summary": _contact()["summary"]}
    assert event.actor_type == "client" and event.touchpoint == "support"


async def test_the_change_feed_carries_no_summary(api):
    h = await api.headers("consent:check")
    start = (await api.client.get("/v1/changes", params={"limit": 1000}, headers=h)).json()
    cursor = start["next_cursor"]
    while start["has_more"]:
        start = (
            await api.client.get("/v1/changes", params={"after": cursor, "limit": 1000}, headers=h)
        ).json()
        cursor = start["next_cursor"]
    sid = (await api.new_subject())["id"]
    made = await _record(api, sid)
    feed = await api.client.get("/v1/changes", params={"after": cursor}, headers=h)
    recorded = [c for c in feed.json()["items"] if c["type"] == "interaction.recorded"]
    assert [c["data"]["interaction_id"] for c in recorded] == [made["id"]]
    assert recorded[0]["data"]["topic"] == "billing"
    assert _contact()["summary"] not in feed.text


async def test_webhooks_carry_no_summary(api):
    from prefcenter.store.models_dsr import WebhookDelivery
    from prefcenter.webhooks.outbox import fan_out

    r = await api.client.post(
        "/v1/downstream-systems",
        json={
            "name": f"cc-{uuid.uuid4().hex[:6]}",
            "url": "http://127.0.0.1:9/hooks",
            "event_types": ["interaction.*"],
        },
        headers=await api.admin(),
    )
    assert r.status_code == 201, r.text
    system = r.json()
    try:
        sid = (await api.new_subject())["id"]
        made = await _record(api, sid)
        await fan_out(api.ctx)
        async with api.ctx.db.read_session() as session:
            payloads = [
                d.payload
                for d in (
                    await session.execute(
                        select(WebhookDelivery).where(WebhookDelivery.system_id == system["id"])
                    )
                ).scalars()
            ]
        assert len(payloads) == 1 and made["id"] in payloads[0]
        assert _contact()["summary"] not in payloads[0] and "summary" not in json.loads(payloads[0])["data"]
    finally:
        await api.client.post(f"/v1/downstream-systems/{system['id']}/disable", headers=await api.admin())


async def test_access_export_contains_them_json_and_csv(api):
    sid = (await api.new_subject())["id"]
    first = await _record(api, sid, summary='=HYPERLINK("http://evil.example")')
    second = await _record(api, sid, channel="phone", continues=first["id"], outcome="resolved")
    archive = await exported_archive(api, sid)
    document = json.loads(archive.read("export.json"))
    exported = document["interactions"]
    assert [i["id"] for i in exported] == [first["id"], second["id"]]
    assert exported[0]["summary"] == '=HYPERLINK("http://evil.example")'
    assert exported[1]["continues"] == first["id"] and exported[1]["channel"] == "phone"
    rows = list(csv.DictReader(io.StringIO(archive.read("interactions.csv").decode())))
    assert [row["id"] for row in rows] == [first["id"], second["id"]]
    assert rows[0]["summary"] == '\'=HYPERLINK("http://evil.example")'  # the CSV cell rule
    assert rows[1]["summary"] == _contact()["summary"]


async def test_erasure_shreds_the_summary(api):
    sid = (await api.new_subject())["id"]
    secret = f"Whispered the code word {uuid.uuid4().hex}"
    made = await _record(api, sid, summary=secret)
    req = await verified_request(api, sid, "erasure")
    await drain(api)
    assert (await get_request(api, req["id"]))["outcome"] == "erased"

    read = await api.headers("interactions:read")
    listed = (await api.client.get(f"/v1/subjects/{sid}/interactions", headers=read)).json()
    assert listed["items"] == []
    async with api.ctx.db.read_session() as session:
        event = (
            await session.execute(
                select(Event).where(Event.subject_id == sid, Event.type == "interaction.recorded")
            )
        ).scalar_one()
    assert event.sealed is not None and secret.encode() not in event.sealed  # kept, unreadable: no key
    assert json.loads(event.data)["interaction_id"] == made["id"]
    r = await api.client.post(
        f"/v1/subjects/{sid}/interactions", json=_contact(), headers=await api.headers("interactions:write")
    )
    assert r.status_code == 409 and r.json()["reason"] == "erased"
    if api.engine == "sqlite":
        raw = api.settings.database.sqlite_path.read_bytes()
        assert secret.encode() not in raw
