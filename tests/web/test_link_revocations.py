"""``POST /v1/subjects/{id}/link-revocations``: every unsubscribe, manage and confirm link minted for the
person before it answers 410 and changes nothing; links minted after it work; the revocation is audited."""

from __future__ import annotations

import time
from datetime import datetime

from prefcenter.consents.double_opt_in import confirm_link
from prefcenter.link_revocations.service import is_revoked
from prefcenter.store.unit_of_work import utcnow
from tests.checks.helpers import subject_with

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def _unsubscribe_path(api, subject_id: str) -> str:
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "topic": "offers", "subjects": [subject_id]},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    return _path(r.json()["items"][0]["url"])


async def _manage_path(api, subject_id: str) -> str:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/manage-links", headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    return _path(r.json()["url"])


async def _pending_newsletter(api, subject_id: str) -> str:
    catalog = (await api.client.get("/v1/catalog", headers=await api.headers("preferences:read"))).json()
    version = next(t for t in catalog["topics"] if t["key"] == "newsletter")["notice"]["version"]
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/consents",
        json={
            "topic": "newsletter",
            "channels": ["email"],
            "notice_version": version,
            "method": "checkbox",
            "touchpoint": "web",
        },
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 201 and r.json()["status"] == "pending_confirmation", r.text
    return r.json()["id"]


async def _revoke(api, subject_id: str, *scopes: str):
    return await api.client.post(
        f"/v1/subjects/{subject_id}/link-revocations",
        headers=await api.headers(*(scopes or ("preferences:write",))),
    )


async def _state(api, subject_id: str) -> tuple[bool, str]:
    check = await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject_id, "channel": "email", "topic": "offers"},
        headers=await api.headers("consent:check"),
    )
    profile = await api.client.get(
        f"/v1/subjects/{subject_id}/profile", headers=await api.headers("preferences:read")
    )
    newsletter = next(c for c in profile.json()["consents"] if c["topic"] == "newsletter")
    return check.json()["allowed"], newsletter["status"]


async def test_a_revocation_refuses_every_link_minted_before_it(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    consent_id = await _pending_newsletter(api, s["id"])
    unsubscribe = await _unsubscribe_path(api, s["id"])
    manage = await _manage_path(api, s["id"])
    confirm = _path(confirm_link(api.ctx, s["id"], consent_id))
    for path in (unsubscribe, manage, confirm):
        assert (await api.client.get(path)).status_code == 200, path  # they work until revoked

    r = await _revoke(api, s["id"])
    assert r.status_code == 201, r.text
    assert r.json()["subject_id"] == s["id"]
    not_before = _instant(r.json()["links_not_before"])

    for path in (unsubscribe, manage, confirm):
        page = await api.client.get(path)
        assert page.status_code == 410, (path, page.status_code)
        assert "no longer valid" in page.text and "data-token" not in page.text
    assert (await api.client.post(unsubscribe, data=ONE_CLICK)).status_code == 410
    assert (await api.client.post(confirm)).status_code == 410
    assert await _state(api, s["id"]) == (True, "pending_confirmation")  # nothing changed

    # links minted after the revocation (at once: the same second) work
    fresh_unsubscribe = await _unsubscribe_path(api, s["id"])
    fresh_manage = await _manage_path(api, s["id"])
    fresh_confirm = _path(confirm_link(api.ctx, s["id"], consent_id))
    assert (await api.client.get(fresh_manage)).status_code == 200
    assert (await api.client.post(fresh_confirm)).status_code == 200
    r = await api.client.post(fresh_unsubscribe, data=ONE_CLICK)
    assert r.status_code == 200 and r.headers["x-unsubscribe-status"] == "unsubscribed"
    assert await _state(api, s["id"]) == (False, "granted")

    events = await api.client.get(
        f"/v1/subjects/{s['id']}/events", params={"limit": 200}, headers=await api.headers("preferences:read")
    )
    revoked = [e for e in events.json()["items"] if e["type"] == "subject.links_revoked"]
    assert len(revoked) == 1 and revoked[0]["actor_type"] == "client"
    assert _instant(revoked[0]["data"]["links_not_before"]) == not_before


async def test_revoking_again_moves_the_time_forward_and_the_old_links_stay_refused(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    first = await _revoke(api, s["id"])
    between = await _unsubscribe_path(api, s["id"])
    second = await _revoke(api, s["id"])
    assert second.json()["links_not_before"] > first.json()["links_not_before"]
    assert (await api.client.post(between, data=ONE_CLICK)).status_code == 410


async def test_only_an_api_client_with_preferences_write_revokes(api):
    s = await subject_with(api)
    assert (await _revoke(api, s["id"], "preferences:read")).status_code == 403
    widget = await api.client.post(
        f"/v1/subjects/{s['id']}/widget-tokens", json={}, headers=await api.headers("preferences:write")
    )
    subject_token = {"Authorization": f"Bearer {widget.json()['token']}"}
    r = await api.client.post(f"/v1/subjects/{s['id']}/link-revocations", headers=subject_token)
    assert r.status_code == 403
    assert (await api.client.post(f"/v1/subjects/{s['id']}/link-revocations")).status_code == 401
    assert (await _revoke(api, "00000000-0000-4000-8000-000000000000")).status_code == 404


def test_a_link_minted_at_or_before_the_revocation_is_revoked():
    now = utcnow()
    at_ms = int(now.timestamp()) * 1000 + now.microsecond // 1000
    assert not is_revoked(at_ms, None)
    assert is_revoked(at_ms - 1, now) and is_revoked(at_ms, now)
    assert not is_revoked(at_ms + 1, now)
    assert not is_revoked(time.time_ns() // 1_000_000 + 5, now)
