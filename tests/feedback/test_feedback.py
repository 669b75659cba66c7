"""Feedback through the real app on both engines: the metrics' ranges, who answered (named as in consent
checks, anonymous allowed, a widget token for its own subject), the sealed comment, the access export (JSON
and CSV) and erasure (links and comment shredded, the bare score kept)."""

from __future__ import annotations

import csv
import io
import json
import uuid

from sqlalchemy import select

from prefcenter.store.models_feedback import Feedback
from tests.dsr.support import drain, exported_archive, get_request, verified_request


def _answer(**overrides) -> dict:
    return {"metric": "csat", "score": 4, "channel": "email", "touchpoint": "email_link", **overrides}


async def _send(api, headers=None, **overrides):
    return await api.client.post(
        "/v1/feedback", json=_answer(**overrides), headers=headers or await api.headers("feedback:write")
    )


async def _widget_token(api, subject_id: str, **body) -> dict[str, str]:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/widget-tokens", json=body, headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _row(api, feedback_id: str) -> Feedback:
    async with api.ctx.db.read_session() as session:
        return (await session.execute(select(Feedback).where(Feedback.id == feedback_id))).scalar_one()


async def test_each_metric_takes_its_own_range(api):
    for metric, low, high in (("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)):
        for score in (low, high):
            r = await _send(api, metric=metric, score=score)
            assert r.status_code == 201, r.text
            made = r.json()
            assert (made["metric"], made["score"], made["subject_id"]) == (metric, score, None)
        for score in (low - 1, high + 1):
            r = await _send(api, metric=metric, score=score)
            assert r.status_code in (400, 422), (metric, score, r.text)
    assert (await _send(api, metric="ces7", score=3)).status_code == 400
    assert (await _send(api, channel="pigeon")).status_code == 422
    assert (await _send(api, channel="chat", touchpoint="support")).status_code == 201
    r = await api.client.post(
        "/v1/feedback",
        json={"metric": "nps", "score": 9, "channel": "email"},
        headers=await api.headers("feedback:write"),
    )
    assert r.status_code == 422 and "touchpoint" in r.text  # an API client says where it asked


async def test_the_subject_is_named_as_in_consent_checks(api):
    subject = await api.new_subject(identities=[{"kind": "email", "value": "Fee.Back@Example.com"}])
    sid = subject["id"]
    for reference in (
        sid,
        f"id:{sid}",
        f"external_id:{subject['external_id']}",
        "email:fee.back@example.com",
    ):
        r = await _send(api, subject=reference, comment="Quick and clear")
        assert r.status_code == 201, (reference, r.text)
        assert r.json()["subject_id"] == sid and r.json()["comment"] == "Quick and clear"
    assert (await _send(api, subject="email:nobody@example.com")).status_code == 404
    assert (await _send(api, subject=str(uuid.uuid4()))).status_code == 404
    # anonymous feedback is a bare score: no comment, no interaction without a person to seal it for
    assert (await _send(api, comment="who am I")).status_code == 422
    assert (await _send(api, interaction_id=str(uuid.uuid4()))).status_code == 422


async def test_tied_to_the_subjects_own_interaction(api):
    sid = (await api.new_subject())["id"]
    other = (await api.new_subject())["id"]
    contact = {"channel": "chat", "touchpoint": "support", "direction": "inbound", "outcome": "resolved"}
    w = await api.headers("interactions:write")
    mine = (await api.client.post(f"/v1/subjects/{sid}/interactions", json=contact, headers=w)).json()
    theirs = (await api.client.post(f"/v1/subjects/{other}/interactions", json=contact, headers=w)).json()
    r = await _send(api, subject=sid, interaction_id=mine["id"], channel="chat", touchpoint="support")
    assert r.status_code == 201 and r.json()["interaction_id"] == mine["id"]
    assert (await _send(api, subject=sid, interaction_id=theirs["id"])).status_code == 422


async def test_the_comment_is_sealed(api):
    sid = (await api.new_subject())["id"]
    secret = f"my neighbour {uuid.uuid4().hex} reads my mail"
    made = (await _send(api, subject=sid, comment=secret)).json()
    row = await _row(api, made["id"])
    assert row.comment_sealed is not None and secret.encode() not in row.comment_sealed


async def test_scopes_and_widget_tokens(api):
    sid = (await api.new_subject())["id"]
    assert (await _send(api, headers=await api.headers("preferences:write"))).status_code == 403
    assert (await _send(api, headers=await api.admin())).status_code == 201
    widget = await _widget_token(api, sid, touchpoint="account")
    r = await api.client.post(
        "/v1/feedback", json={"metric": "ces", "score": 6, "channel": "web"}, headers=widget
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["subject_id"] == sid and made["touchpoint"] == "account"  # the token's touchpoint
    row = await _row(api, made["id"])
    assert (row.actor_type, row.actor_id) == ("customer", sid)
    other = (await api.new_subject())["id"]
    r = await api.client.post(
        "/v1/feedback",
        json={"metric": "ces", "score": 6, "channel": "web", "subject": other},
        headers=widget,
    )
    assert r.status_code == 404  # a widget token answers for its own subject only


async def test_exported_with_the_subject_json_and_csv(api):
    sid = (await api.new_subject())["id"]
    first = (await _send(api, subject=sid, comment="=1+1 was hard")).json()
    second = (await _send(api, subject=sid, metric="nps", score=10)).json()
    await _send(api, metric="nps", score=3)  # someone else's (anonymous)
    archive = await exported_archive(api, sid)
    document = json.loads(archive.read("export.json"))
    assert document["schema_version"] == "1.2"
    exported = document["feedback"]
    assert [f["id"] for f in exported] == [first["id"], second["id"]]
    assert exported[0]["comment"] == "=1+1 was hard" and exported[1]["score"] == 10
    rows = list(csv.DictReader(io.StringIO(archive.read("feedback.csv").decode())))
    assert [row["id"] for row in rows] == [first["id"], second["id"]]
    assert rows[0]["comment"] == "'=1+1 was hard" and rows[1]["metric"] == "nps"  # the CSV cell rule


async def test_erasure_shreds_the_link_and_the_comment_and_keeps_the_score(api):
    sid = (await api.new_subject())["id"]
    contact = {"channel": "chat", "touchpoint": "support", "direction": "inbound"}
    interaction = (
        await api.client.post(
            f"/v1/subjects/{sid}/interactions", json=contact, headers=await api.headers("interactions:write")
        )
    ).json()
    secret = f"call me on {uuid.uuid4().hex}"
    made = (
        await _send(
            api,
            subject=sid,
            comment=secret,
            interaction_id=interaction["id"],
            channel="chat",
            touchpoint="support",
        )
    ).json()
    widget = await _widget_token(api, sid, touchpoint="web")
    from_widget = (
        await api.client.post(
            "/v1/feedback", json={"metric": "ces", "score": 2, "channel": "web"}, headers=widget
        )
    ).json()
    req = await verified_request(api, sid, "erasure")
    await drain(api)
    assert (await get_request(api, req["id"]))["outcome"] == "erased"
    row = await _row(api, made["id"])
    assert (row.subject_id, row.interaction_id, row.comment_sealed, row.actor_id) == (None, None, None, None)
    assert (row.metric, row.score, row.channel, row.touchpoint) == ("csat", 4, "chat", "support")
    widget_row = await _row(api, from_widget["id"])
    assert (widget_row.subject_id, widget_row.actor_id, widget_row.score) == (None, None, 2)
    assert (await _send(api, subject=sid)).status_code == 409  # an erased subject gives no more feedback
    if api.engine == "sqlite":
        assert secret.encode() not in api.settings.database.sqlite_path.read_bytes()
