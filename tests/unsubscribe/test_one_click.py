"""One-click unsubscribe: minting header values, RFC 8058 POST, harmless replays, no reach beyond its claim."""

from __future__ import annotations

import uuid

from prefcenter.unsubscribe.tokens import UnsubscribeTokens
from tests.checks.helpers import subject_with


async def _links(api, subjects, channel="email", topic=None):
    body = {"channel": channel, "subjects": subjects}
    if topic:
        body["topic"] = topic
    r = await api.client.post(
        "/v1/unsubscribe-links", json=body, headers=await api.headers("preferences:write")
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _decision(api, subject_id, channel, topic):
    r = await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject_id, "channel": channel, "topic": topic},
        headers=await api.headers("consent:check"),
    )
    return r.json()


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def test_one_click_post_records_the_opt_out_once(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    (link,) = await _links(api, [s["id"]], topic="offers")
    assert (
        link["list_unsubscribe"] == f"<{link['url']}>"
        and link["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    )
    assert link["url"].startswith(api.settings.server.public_url + "/u/") and len(link["url"]) < 220

    page = await api.client.get(_path(link["url"]))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text and "/p/" not in page.text
    assert (await _decision(api, s["id"], "email", "offers"))["allowed"] is True  # GET changed nothing

    r = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "One-Click"})  # no bearer token
    assert r.status_code == 200 and r.headers["x-unsubscribe-status"] == "unsubscribed", r.text
    d = await _decision(api, s["id"], "email", "offers")
    assert d["allowed"] is False and d["reason"] == "topic_opted_out"
    assert d["evidence"] == {"preference": "email:offers"}

    again = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and again.headers["x-unsubscribe-status"] == "already_unsubscribed"

    events = await api.client.get(f"/v1/subjects/{s['id']}/events", headers=await api.headers("audit:read"))
    if events.status_code == 200:
        opt_outs = [
            e
            for e in events.json()["items"]
            if e["type"] == "preference.set" and e["data"]["topic"] == "offers"
        ]
        assert len(opt_outs) == 1
        assert opt_outs[0]["touchpoint"] == "email_link" and opt_outs[0]["actor_type"] == "customer"


async def test_channel_link_opts_out_of_the_whole_channel(api):
    s = await subject_with(api, consents=[("offers", ["email", "sms"])])
    (link,) = await _links(api, [s["id"]], channel="sms")
    r = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    assert (await _decision(api, s["id"], "sms", "offers"))["reason"] == "channel_opted_out"
    assert (await _decision(api, s["id"], "email", "offers"))["allowed"] is True


async def test_a_token_touches_only_its_own_subject_and_topic(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    b = await subject_with(api, consents=[("offers", ["email"])])
    (link_a,) = await _links(api, [a["id"]], topic="offers")
    token = link_a["url"].rsplit("/", 1)[1]
    # any altered byte (e.g. trying to aim it at b or at another topic) breaks the signature
    forged = [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        token[:10] + ("x" if token[10] != "x" else "y") + token[11:],
    ]
    other_key, _ = UnsubscribeTokens(bytes(32), 90).mint(b["id"], "email", "offers")
    for bad in [*forged, other_key, "short", "a" * 300]:
        r = await api.client.post(f"/u/{bad}", data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 404, (bad, r.status_code)
    await api.client.post(_path(link_a["url"]), data={"List-Unsubscribe": "One-Click"})
    assert (await _decision(api, b["id"], "email", "offers"))["allowed"] is True
    assert (await _decision(api, a["id"], "email", "offers"))["allowed"] is False
    assert (await _decision(api, a["id"], "email", "newsletter"))["reason"] == "no_consent"  # not opted out
    # the token is no bearer credential
    r = await api.client.get(f"/v1/subjects/{a['id']}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_post_needs_the_one_click_body_and_links_need_a_valid_catalog_pair(api):
    s = await subject_with(api)
    (link,) = await _links(api, [s["id"]], topic="offers")
    r = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "Yes"})
    assert r.status_code == 422
    h = await api.headers("preferences:write")
    for body in (
        {"channel": "fax", "subjects": [s["id"]]},
        {"channel": "post", "topic": "offers", "subjects": [s["id"]]},
        {"channel": "email", "subjects": ["not-a-uuid-but-36-characters-long!!!"]},
    ):
        r = await api.client.post("/v1/unsubscribe-links", json=body, headers=h)
        assert r.status_code in (400, 422), (body, r.text)
    unknown, _ = UnsubscribeTokens(api.ctx.keys.signing_key, 90).mint(str(uuid.uuid4()), "email", "offers")
    r = await api.client.post(f"/u/{unknown}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 404


async def test_unsubscribe_pages_speak_the_browsers_language(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    (link,) = await _links(api, [s["id"]], topic="offers")
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    page = await api.client.get(_path(link["url"]), headers=german)
    assert page.status_code == 200 and 'lang="de"' in page.text
    assert "Abmelden" in page.text
    r = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "One-Click"}, headers=german)
    assert r.status_code == 200 and "Abgemeldet" in r.text
    again = await api.client.post(_path(link["url"]), data={"List-Unsubscribe": "One-Click"})
    assert "You were already unsubscribed" in again.text and 'lang="en"' in again.text
