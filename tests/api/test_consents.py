"""Consents: grant with notice version and evidence, double opt-in, confirm, withdraw, supersede, receipts, history."""

from __future__ import annotations

from prefcenter.core.receipts import read_receipt


async def _grant(api, subject_id, headers, **overrides):
    body = {
        "topic": "offers",
        "channels": ["email", "sms"],
        "notice_version": 1,
        "method": "checkbox",
        "touchpoint": "web",
    }
    body.update(overrides)
    return await api.client.post(f"/v1/subjects/{subject_id}/consents", json=body, headers=headers)


async def test_grant_withdraw_and_supersede_with_signed_receipts(api):
    h = await api.headers("preferences:write", "preferences:read")
    subject = await api.new_subject()
    r = await _grant(api, subject["id"], h, evidence={"ip": "203.0.113.9", "user_agent": "Mozilla/5.0"})
    assert r.status_code == 201, r.text
    consent = r.json()
    assert (
        consent["status"] == "granted"
        and consent["channels"] == ["email", "sms"]
        and consent["notice_version"] == 1
    )
    assert consent["expires_at"] is not None  # offers has a 365-day lifetime
    claims = read_receipt(api.ctx.keys.signing_public_key, consent["receipt"])
    assert claims["consent_id"] == consent["id"] and claims["event"] == "consent.granted"

    # granting again supersedes; history keeps both
    r = await _grant(api, subject["id"], h, channels=["email"])
    newer = r.json()
    profile = (await api.client.get(f"/v1/subjects/{subject['id']}/profile", headers=h)).json()
    assert [c["id"] for c in profile["consents"]] == [newer["id"]]
    # the superseded one cannot be withdrawn; the current one can
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/{consent['id']}/withdraw",
        json={"touchpoint": "web"},
        headers=h,
    )
    assert r.status_code == 409
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/{newer['id']}/withdraw",
        json={"touchpoint": "support", "method": "verbal", "reason": "asked on the phone"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn" and r.json()["withdrawn_at"]
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/{newer['id']}/withdraw", json={"touchpoint": "web"}, headers=h
    )
    assert r.status_code == 409

    events = (await api.client.get(f"/v1/subjects/{subject['id']}/events", headers=h)).json()["items"]
    types = [e["type"] for e in events]
    assert types[-3:] == ["consent.granted", "consent.granted", "consent.withdrawn"]
    assert events[-2]["data"]["supersedes"] == consent["id"]
    assert "203.0.113.9" not in str(events)  # evidence is sealed, never in the readable data


async def test_double_opt_in_stays_pending_until_confirmed(api):
    h = await api.headers("preferences:write", "preferences:read")
    subject = await api.new_subject()
    r = await _grant(api, subject["id"], h, topic="newsletter", channels=["email"])
    pending = r.json()
    assert r.status_code == 201 and pending["status"] == "pending_confirmation"
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/{pending['id']}/confirm", json={}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "granted" and r.json()["confirmed_at"]
    # confirming twice is harmless
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/{pending['id']}/confirm", json={}, headers=h
    )
    assert r.status_code == 200
    # SMS-only newsletter consent needs no double opt-in
    r = await _grant(api, subject["id"], h, topic="newsletter", channels=["sms"])
    assert r.json()["status"] == "granted"


async def test_consent_rules(api):
    h = await api.headers("preferences:write")
    subject = await api.new_subject()
    for overrides, status in [
        ({"topic": "product_updates", "channels": ["email"]}, 422),  # legitimate interest, not consent
        ({"channels": ["post"]}, 422),  # offers are not sent by post
        ({"notice_version": 99}, 422),  # no such notice
        ({"topic": "nope"}, 422),
        ({"channels": []}, 400),
        ({"method": "telepathy"}, 400),
    ]:
        r = await _grant(api, subject["id"], h, **overrides)
        assert r.status_code == status, (overrides, r.text)
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents/00000000-0000-0000-0000-000000000000/withdraw",
        json={"touchpoint": "web"},
        headers=h,
    )
    assert r.status_code == 404


async def test_history_is_cursor_paginated(api):
    h = await api.headers("preferences:write", "preferences:read")
    subject = await api.new_subject()
    url = f"/v1/subjects/{subject['id']}/preferences"
    for i in range(7):
        status = "opted_out" if i % 2 == 0 else "opted_in"
        await api.client.patch(
            url,
            json={
                "touchpoint": "web",
                "items": [{"channel": "email", "topic": "product_updates", "status": status}],
            },
            headers=h,
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get(f"/v1/subjects/{subject['id']}/events", params=params, headers=h)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8  # subject.created + 7 preference changes
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    # outside the documented cursor format (base64url): 400 like any invalid parameter; well formed but not one
    # this API returned: 422
    r = await api.client.get(f"/v1/subjects/{subject['id']}/events", params={"cursor": "garbage!"}, headers=h)
    assert r.status_code == 400
    r = await api.client.get(
        f"/v1/subjects/{subject['id']}/events", params={"cursor": "Z2FyYmFnZQ"}, headers=h
    )
    assert r.status_code == 422
    r = await api.client.get(f"/v1/subjects/{subject['id']}/events", params={"limit": 100000}, headers=h)
    assert r.status_code == 400


async def test_consents_past_their_lifetime_are_denied_then_swept_to_expired(api):
    from datetime import timedelta

    from sqlalchemy import update

    from prefcenter.consents.service import expire_due
    from prefcenter.store.models import Consent
    from prefcenter.store.unit_of_work import utcnow

    h = await api.headers("preferences:write", "preferences:read", "consent:check")
    subject = await api.new_subject()
    consent = (await _grant(api, subject["id"], h, channels=["email"])).json()
    async with api.ctx.db.write_session() as session:  # let a year pass
        await session.execute(
            update(Consent)
            .where(Consent.id == consent["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    check = await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject["id"], "channel": "email", "topic": "offers"},
        headers=h,
    )
    assert check.json()["allowed"] is False and check.json()["reason"] == "consent_expired"

    assert await expire_due(api.ctx) >= 1
    profile = (await api.client.get(f"/v1/subjects/{subject['id']}/profile", headers=h)).json()
    assert [c["status"] for c in profile["consents"]] == ["expired"]
    events = (await api.client.get(f"/v1/subjects/{subject['id']}/events", headers=h)).json()["items"]
    assert events[-1]["type"] == "consent.expired" and events[-1]["data"]["reason"] == "lifetime_ended"
    assert events[-1]["actor_type"] == "system"
