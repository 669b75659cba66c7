"""Single and batch consent checks over HTTP: decisions, reasons, evidence, per-item errors, limits."""

from __future__ import annotations

import uuid

from tests.checks.helpers import subject_with

PROBLEM = "application/problem+json"


async def _check(api, subject: str, channel: str, topic: str):
    return await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject, "channel": channel, "topic": topic},
        headers=await api.headers("consent:check"),
    )


async def test_single_check_by_id_external_id_and_identity(api):
    s = await subject_with(api, consents=[("offers", ["email", "sms"])])
    consent = s["consents"]["offers"]
    for ref in (
        s["id"],
        f"id:{s['id']}",
        f"external_id:{s['external_id']}",
        s["external_id"],
        f"email:{s['email'].upper()}",
    ):
        r = await _check(api, ref, "email", "offers")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["allowed"] is True and body["reason"] == "consent", body
        assert body["subject_id"] == s["id"]
        assert body["evidence"] == {"consent_id": consent["id"], "notice_version": 1}
    r = await _check(api, s["id"], "push", "offers")
    assert r.json()["allowed"] is False and r.json()["reason"] == "no_consent"
    # newsletter needs double opt-in: a fresh grant is pending
    r = await _check(api, s["id"], "email", "newsletter")
    assert r.json()["reason"] == "no_consent"


async def test_denials_name_the_preference_behind_them(api):
    s = await subject_with(api, prefs=[("sms", "*", "opted_out"), ("email", "product_updates", "opted_out")])
    r = (await _check(api, s["id"], "sms", "billing")).json()
    assert r["allowed"] is True and r["reason"] == "contract"  # billing is exempt from channel opt-outs
    r = (await _check(api, s["id"], "sms", "offers")).json()
    assert r == {**r, "allowed": False, "reason": "channel_opted_out", "evidence": {"preference": "sms:*"}}
    r = (await _check(api, s["id"], "email", "product_updates")).json()
    assert r["reason"] == "objected" and r["evidence"] == {"preference": "email:product_updates"}
    assert (await _check(api, s["id"], "push", "product_updates")).json()["reason"] == "legitimate_interest"

    dnc = await subject_with(api, do_not_contact=True)
    r = (await _check(api, dnc["id"], "email", "billing")).json()
    assert r["reason"] == "do_not_contact" and r["evidence"] == {"preference": "do_not_contact"}


async def test_unknown_subject_topic_channel_and_bad_references(api):
    assert (await _check(api, str(uuid.uuid4()), "email", "offers")).json()["reason"] == "unknown_subject"
    assert (await _check(api, "email:nobody-here@example.com", "email", "offers")).json()[
        "reason"
    ] == "unknown_subject"
    s = await subject_with(api)
    assert (await _check(api, s["id"], "email", "no_such_topic")).json()["reason"] == "unknown_topic"
    assert (await _check(api, s["id"], "fax", "offers")).json()["reason"] == "unknown_channel"
    r = await _check(api, "email:not-an-email", "email", "offers")
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert "not-an-email" not in r.text  # personal data never echoed


async def test_check_needs_the_consent_check_scope(api):
    r = await api.client.get(
        "/v1/consent-checks",
        params={"subject": str(uuid.uuid4()), "channel": "email", "topic": "offers"},
        headers=await api.headers("preferences:read"),
    )
    assert r.status_code == 403
    r = await api.client.get(
        "/v1/consent-checks", params={"subject": "x", "channel": "email", "topic": "offers"}
    )
    assert r.status_code == 401


async def test_checks_see_writes_at_once(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    assert (await _check(api, s["id"], "email", "offers")).json()["allowed"] is True
    r = await api.client.post(
        f"/v1/subjects/{s['id']}/consents/{s['consents']['offers']['id']}/withdraw",
        json={"touchpoint": "web"},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    r = (await _check(api, s["id"], "email", "offers")).json()
    assert r["allowed"] is False and r["reason"] == "consent_withdrawn"


async def test_batch_answers_in_order_with_per_item_errors(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    b = await subject_with(api, prefs=[("email", "*", "opted_out")])
    items = [
        {"subject": a["id"], "channel": "email", "topic": "offers"},
        {"subject": "email:broken", "channel": "email", "topic": "offers"},
        {"subject": f"email:{b['email']}", "channel": "email", "topic": "offers"},
        {"subject": a["external_id"]},
        {"subject": str(uuid.uuid4()), "channel": "sms", "topic": "billing"},
    ]
    r = await api.client.post(
        "/v1/consent-checks", json={"items": items}, headers=await api.headers("consent:check")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    res = body["results"]
    assert [x["index"] for x in res] == [0, 1, 2, 3, 4]
    assert res[0]["allowed"] is True and res[0]["evidence"]["consent_id"] == a["consents"]["offers"]["id"]
    assert res[1]["error"]["type"] == "invalid-input" and "allowed" not in res[1]
    assert res[2]["reason"] == "channel_opted_out" and res[2]["subject_id"] == b["id"]
    assert res[3]["error"]["type"] == "invalid-input"  # no channel/topic, none for the batch either
    assert res[4]["reason"] == "unknown_subject"
    assert (body["allowed"], body["denied"], body["errors"]) == (1, 2, 2)

    one_question = {"channel": "email", "topic": "offers", "subjects": [b["id"], a["id"], a["id"]]}
    r = await api.client.post(
        "/v1/consent-checks", json=one_question, headers=await api.headers("consent:check")
    )
    assert [x["allowed"] for x in r.json()["results"]] == [False, True, True]


async def test_batch_limits(api):
    h = await api.headers("consent:check")
    r = await api.client.post(
        "/v1/consent-checks",
        json={"channel": "email", "topic": "offers", "subjects": [f"c{i}" for i in range(10_001)]},
        headers=h,
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM), r.text
    assert r.json()["type"].endswith("/payload-too-large")
    ok = await api.client.post(
        "/v1/consent-checks",
        json={"channel": "email", "topic": "offers", "subjects": [f"c{i}" for i in range(10_000)]},
        headers=h,
    )
    assert ok.status_code == 200 and len(ok.json()["results"]) == 10_000
    bad = await api.client.post("/v1/consent-checks", json={"items": [], "extra": 1}, headers=h)
    assert bad.status_code == 400
    both = await api.client.post("/v1/consent-checks", json={"items": [], "subjects": []}, headers=h)
    assert both.status_code == 422
