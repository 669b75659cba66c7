"""The widget's backend over HTTP on SQLite and PostgreSQL: bundle serving, pages, manage links,
double opt-in (email, confirm page, expiry), Sec-GPC, origin allow-list and CORS."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from prefcenter.consents.service import expire_unconfirmed
from prefcenter.store.database import Database
from prefcenter.store.models import Consent
from prefcenter.web.bundle import BUNDLE, BUNDLE_SRI
from tests.conftest import close_api, open_api


async def _subject_token(api, subject_id: str, **body) -> dict[str, str]:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/widget-tokens", json=body, headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _notice(api, topic: str) -> int:
    catalog = (await api.client.get("/v1/catalog", headers=await api.headers("preferences:read"))).json()
    return next(t for t in catalog["topics"] if t["key"] == topic)["notice"]["version"]


async def _events(api, subject_id: str) -> list[dict]:
    r = await api.client.get(
        f"/v1/subjects/{subject_id}/events",
        params={"limit": 200},
        headers=await api.headers("preferences:read"),
    )
    return r.json()["items"]


async def _profile(api, subject_id: str) -> dict:
    r = await api.client.get(
        f"/v1/subjects/{subject_id}/profile", headers=await api.headers("preferences:read")
    )
    return r.json()


def test_checked_in_sri_matches_the_bundle():
    digest = base64.b64encode(hashlib.sha384(BUNDLE.read_bytes()).digest()).decode()
    assert BUNDLE_SRI.read_text().strip() == f"sha384-{digest}"


async def test_bundle_is_served_with_long_cache_etag_and_open_cors(api):
    r = await api.client.get("/widget/v1/prefcenter.js")
    assert r.status_code == 200
    assert r.content == BUNDLE.read_bytes()
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["access-control-allow-origin"] == "*"
    again = await api.client.get("/widget/v1/prefcenter.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    sri = await api.client.get("/widget/v1/prefcenter.js.sri")
    assert sri.text.strip() == BUNDLE_SRI.read_text().strip()


async def test_demo_page_embeds_the_widget_in_each_mode_without_secrets(api):
    r = await api.client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'src="/widget/v1/prefcenter.js"' in page and BUNDLE_SRI.read_text().strip() in page
    for mode in ("full", "compact", "agent"):
        assert f'data-mode="{mode}"' in page
    assert 'href="/schema"' in page
    assert "client_secret" not in page
    creds = json.loads((api.settings.var_dir / "demo-credentials.json").read_text())
    assert creds["client_secret"] not in page
    assert r.headers["cache-control"] == "no-store"
    # the embedded tokens are short-lived subject tokens for the demo subject
    token = re.search(r'data-mode="agent"[^>]*data-token="([^"]+)"', page).group(1)
    principal = api.ctx.tokens.principal(token)
    assert principal.kind == "subject" and principal.agent_id == "agent-42" and principal.mode == "agent"


async def test_manage_link_opens_the_widget_and_is_not_an_api_token(api):
    ann = await api.new_subject()
    r = await api.client.post(
        f"/v1/subjects/{ann['id']}/manage-links", headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].endswith("/p/" + link["token"])
    page = await api.client.get("/p/" + link["token"])
    assert page.status_code == 200 and 'data-touchpoint="email_link"' in page.text
    short = re.search(r'data-token="([^"]+)"', page.text).group(1)
    principal = api.ctx.tokens.principal(short)
    assert principal.subject_id == ann["id"] and principal.touchpoint == "email_link"
    # single purpose: the link token itself is refused as a bearer token
    r = await api.client.get(
        f"/v1/subjects/{ann['id']}/profile", headers={"Authorization": f"Bearer {link['token']}"}
    )
    assert r.status_code == 401
    assert (await api.client.get("/p/" + link["token"][:-4] + "AAAA")).status_code == 404
    expired, _ = api.ctx.tokens.purpose_token("manage", ann["id"], -10)
    assert (await api.client.get("/p/" + expired)).status_code == 410
    # a subject token cannot mint manage links
    headers = await _subject_token(api, ann["id"])
    assert (
        await api.client.post(f"/v1/subjects/{ann['id']}/manage-links", headers=headers)
    ).status_code == 403


async def _grant(
    api, subject_id: str, headers: dict, touchpoint: str, topic: str = "offers", method: str = "checkbox"
):
    """Consent to ``topic`` by email with its current notice."""
    return await api.client.post(
        f"/v1/subjects/{subject_id}/consents",
        json={
            "topic": topic,
            "channels": ["email"],
            "notice_version": await _notice(api, topic),
            "method": method,
            "touchpoint": touchpoint,
        },
        headers=headers,
    )


async def _grant_newsletter(api, subject_id: str, headers: dict, touchpoint: str):
    """Consent to the double opt-in topic ``newsletter`` by email (the answer is pending confirmation)."""
    return await _grant(api, subject_id, headers, touchpoint, topic="newsletter")


def _mails(api) -> list:
    directory = api.settings.var_dir / "mail"
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in directory.glob("*.eml")]


async def test_double_opt_in_email_and_confirm_page(api):
    email = f"ann-{api.engine}-doi@example.com"
    ann = await api.new_subject(identities=[{"kind": "email", "value": email}])
    headers = await _subject_token(api, ann["id"], touchpoint="account")
    r = await _grant_newsletter(api, ann["id"], headers, "account")
    assert r.status_code == 201 and r.json()["status"] == "pending_confirmation"
    consent_id = r.json()["id"]
    mail = next(m for m in _mails(api) if m["To"] == email)
    assert api.settings.company.name in mail["Subject"]
    link = re.search(r"(\S+/confirm/\S+)", mail.get_body(preferencelist=("plain",)).get_content()).group(1)
    path = "/confirm/" + link.split("/confirm/")[1]

    page = await api.client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert (await _profile(api, ann["id"]))["consents"][0]["status"] == "pending_confirmation"
    done = await api.client.post(path)
    assert done.status_code == 200 and "confirmed" in done.text
    assert (await _profile(api, ann["id"]))["consents"][0]["status"] == "granted"
    again = await api.client.post(path)
    assert again.status_code == 200  # confirming twice is harmless
    types = [e["type"] for e in await _events(api, ann["id"])]
    assert types.count("consent.confirmed") == 1 and "consent.confirmation_sent" in types
    assert consent_id == (await _profile(api, ann["id"]))["consents"][0]["id"]
    assert (await api.client.get("/confirm/not-a-token")).status_code == 404


async def test_a_mail_failure_keeps_the_consent_and_it_can_be_resent(api):
    class Broken:
        async def send(self, message):
            raise ConnectionRefusedError("smtp down")

    ann = await api.new_subject(identities=[{"kind": "email", "value": f"bob-{api.engine}-fail@example.com"}])
    working, api.ctx.sender = api.ctx.sender, Broken()
    try:
        r = await _grant_newsletter(api, ann["id"], await api.headers("preferences:write"), "web")
    finally:
        api.ctx.sender = working
    assert r.status_code == 201 and r.json()["status"] == "pending_confirmation"
    resend = await api.client.post(
        f"/v1/subjects/{ann['id']}/consents/{r.json()['id']}/confirmation-email",
        headers=await api.headers("preferences:write"),
    )
    assert resend.status_code == 202 and resend.json()["sent"] is True


async def test_a_keyed_grant_mails_its_confirmation_once_after_the_commit(api):
    """With an Idempotency-Key the grant commits with the key at the end of the request: the mail goes out
    after that commit (another connection already sees the consent its link confirms), and a replay of the
    key sends no second mail."""
    email = f"dee-{api.engine}-keyed@example.com"
    dee = await api.new_subject(identities=[{"kind": "email", "value": email}])
    other = Database(api.settings.database.url)
    committed_at_send: list[int] = []
    working = api.ctx.sender

    class Watching:
        async def send(self, message):
            async with other.read_session() as session:
                found = await session.execute(select(Consent.id).where(Consent.subject_id == dee["id"]))
                committed_at_send.append(len(found.all()))
            await working.send(message)

    headers = {**await api.headers("preferences:write"), "Idempotency-Key": f"doi-{api.engine}-keyed"}
    api.ctx.sender = Watching()
    try:
        first = await _grant_newsletter(api, dee["id"], headers, "web")
        replay = await _grant_newsletter(api, dee["id"], headers, "web")
    finally:
        api.ctx.sender = working
        await other.dispose()
    assert first.status_code == 201 and first.json()["status"] == "pending_confirmation"
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    assert committed_at_send == [1]
    assert len([m for m in _mails(api) if m["To"] == email]) == 1


async def test_unconfirmed_double_opt_in_expires(api):
    ann = await api.new_subject(identities=[{"kind": "email", "value": f"cy-{api.engine}-exp@example.com"}])
    r = await _grant_newsletter(api, ann["id"], await api.headers("preferences:write"), "web")
    consent = r.json()
    days = api.settings.widget.doi_pending_days
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(Consent)
            .where(Consent.id == consent["id"])
            .values(
                granted_at=datetime.fromisoformat(consent["granted_at"].replace("Z", "+00:00"))
                - timedelta(days=days, minutes=1)
            )
        )
    confirm = await api.client.post(
        f"/v1/subjects/{ann['id']}/consents/{consent['id']}/confirm",
        json={},
        headers=await api.headers("preferences:write"),
    )
    assert confirm.status_code == 409 and "expired" in confirm.text
    async with api.ctx.unit_of_work() as uow:
        expired = await expire_unconfirmed(uow, days)
    assert consent["id"] in expired
    assert (await _profile(api, ann["id"]))["consents"][0]["status"] == "expired"
    event = [e for e in await _events(api, ann["id"]) if e["type"] == "consent.expired"]
    assert len(event) == 1 and event[0]["actor_type"] == "system"
    async with api.ctx.unit_of_work() as uow:
        assert consent["id"] not in await expire_unconfirmed(uow, days)


async def test_sec_gpc_on_a_customer_write_opts_out_once(api):
    ann = await api.new_subject()
    client = await api.headers("preferences:write")
    r = await _grant(api, ann["id"], client, "web")
    offers_id = r.json()["id"]
    revision = (await _profile(api, ann["id"]))["revision"]
    customer = {**await _subject_token(api, ann["id"], touchpoint="account"), "Sec-GPC": "1"}
    r = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={"touchpoint": "account", "frequency": "weekly"},
        headers={**customer, "If-Match": f'"{revision}"'},
    )
    assert r.status_code == 200, r.text  # the If-Match held for the state the customer saw
    profile = r.json()
    assert profile["settings"]["frequency"] == "weekly"
    assert [c["status"] for c in profile["consents"]] == ["withdrawn"]
    assert {(p["topic"], p["status"]) for p in profile["preferences"]} == {("offers", "opted_out")}
    # the widget's own GPC withdrawal that follows is a harmless no-op
    r = await api.client.post(
        f"/v1/subjects/{ann['id']}/consents/{offers_id}/withdraw",
        json={"touchpoint": "account", "method": "gpc", "reason": "gpc"},
        headers=customer,
    )
    assert r.status_code == 200
    events = await _events(api, ann["id"])
    assert [e["data"]["method"] for e in events if e["type"] == "consent.withdrawn"] == ["gpc"]
    assert [e["type"] for e in events].count("gpc.honoured") == 1
    # later writes do not apply it again: the customer's explicit choice wins
    r = await _grant(api, ann["id"], customer, "account")
    assert r.status_code == 201 and r.json()["status"] == "granted"
    assert [e["type"] for e in await _events(api, ann["id"])].count("gpc.honoured") == 1


async def test_sec_gpc_on_the_withdrawal_of_the_consent_it_withdraws(api):
    """The customer's first write with ``Sec-GPC: 1`` withdraws the consent GPC withdraws too, in the same unit of
    work: GPC's withdrawal comes first, the customer's is then a no-op (the consent read with the locked subject
    is not used after GPC changed it)."""
    ann = await api.new_subject()
    r = await _grant(api, ann["id"], await api.headers("preferences:write"), "web")
    offers_id = r.json()["id"]
    customer = {**await _subject_token(api, ann["id"], touchpoint="account"), "Sec-GPC": "1"}
    r = await api.client.post(
        f"/v1/subjects/{ann['id']}/consents/{offers_id}/withdraw",
        json={"touchpoint": "account", "method": "gpc", "reason": "gpc"},
        headers=customer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    events = await _events(api, ann["id"])
    assert [e["type"] for e in events].count("consent.withdrawn") == 1
    assert [e["type"] for e in events].count("gpc.honoured") == 1


async def test_sec_gpc_is_ignored_for_agents_and_api_clients(api):
    ann = await api.new_subject()
    agent = {**await _subject_token(api, ann["id"], mode="agent", agent_id="a-1"), "Sec-GPC": "1"}
    client = {**await api.headers("preferences:write"), "Sec-GPC": "1"}
    for headers in (agent, client):
        r = await _grant(api, ann["id"], headers, "support", method="verbal")
        assert r.status_code == 201
    assert "gpc.honoured" not in [e["type"] for e in await _events(api, ann["id"])]


async def test_sec_gpc_and_the_write_it_accompanies_are_one_transaction(api):
    ann = await api.new_subject()
    r = await _grant(api, ann["id"], await api.headers("preferences:write"), "web")
    offers_id = r.json()["id"]
    before = await _profile(api, ann["id"])
    customer = {**await _subject_token(api, ann["id"], touchpoint="account"), "Sec-GPC": "1"}
    # the write fails after GPC was applied in its unit of work (unknown channel): both roll back
    r = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={
            "touchpoint": "account",
            "items": [{"channel": "pigeon", "topic": "offers", "status": "opted_in"}],
        },
        headers=customer,
    )
    assert r.status_code == 422, r.text
    # a body the schema refuses never reaches the write, so GPC is not applied either
    r = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences", json={"touchpoint": "nowhere"}, headers=customer
    )
    assert r.status_code == 400, r.text
    assert "gpc.honoured" not in [e["type"] for e in await _events(api, ann["id"])]
    assert await _profile(api, ann["id"]) == before
    # a customer's own withdrawal of a consent GPC withdraws in the same write: one withdrawal, by GPC
    r = await api.client.post(
        f"/v1/subjects/{ann['id']}/consents/{offers_id}/withdraw",
        json={"touchpoint": "account", "method": "checkbox"},
        headers={**customer, "If-Match": f'"{before["revision"]}"'},
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    events = await _events(api, ann["id"])
    assert [e["data"]["method"] for e in events if e["type"] == "consent.withdrawn"] == ["gpc"]
    assert [e["type"] for e in events].count("gpc.honoured") == 1
    assert (await _profile(api, ann["id"]))["revision"] > before["revision"]


@pytest.fixture(scope="module")
async def shop_api(new_backend):
    base = new_backend("sqlite")
    settings = dataclasses.replace(
        base, server=dataclasses.replace(base.server, cors_origins=("https://shop.example.com",))
    )
    harness = await open_api(settings)
    yield harness
    await close_api(harness)


async def test_widget_tokens_and_cors_answer_only_configured_origins(shop_api):
    api = shop_api
    ann = await api.new_subject()
    write = await api.headers("preferences:write")
    ok = await api.client.post(
        f"/v1/subjects/{ann['id']}/widget-tokens", json={"origin": "https://shop.example.com"}, headers=write
    )
    assert ok.status_code == 201
    refused = await api.client.post(
        f"/v1/subjects/{ann['id']}/widget-tokens", json={"origin": "https://evil.example.net"}, headers=write
    )
    assert refused.status_code == 403
    preflight = {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, if-match, idempotency-key",
    }
    allowed = await api.client.options(
        f"/v1/subjects/{ann['id']}/preferences", headers={"Origin": "https://shop.example.com", **preflight}
    )
    assert allowed.status_code in (200, 204)
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    for h in ("authorization", "content-type", "if-match", "idempotency-key"):
        assert h in allowed.headers["access-control-allow-headers"].lower()
    other = await api.client.options(
        f"/v1/subjects/{ann['id']}/preferences", headers={"Origin": "https://evil.example.net", **preflight}
    )
    assert other.headers.get("access-control-allow-origin") != "https://evil.example.net"
    assert other.headers.get("access-control-allow-origin") != "*"


async def test_bundle_answers_head_with_its_headers(api):
    get = await api.client.get("/widget/v1/prefcenter.js")
    head = await api.client.head("/widget/v1/prefcenter.js")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize(
    ("accept_language", "profile_language", "expect"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", None, ("Bitte bestätigen", "Abonnement bestätigen", "Vielen Dank")),
        ("en;q=0.4, fr", None, ("veuillez confirmer", "Confirmer mon abonnement", "Merci")),
        ("de", "es", ("confirme su suscripción", "Confirmar mi suscripción", "Gracias")),
        ("ja, it;q=0.8", None, ("please confirm", "Confirm my subscription", "Thank you")),
    ],
)
async def test_double_opt_in_email_and_confirm_page_speak_the_customers_language(
    api, accept_language, profile_language, expect
):
    """The subject's own language, else the widget's (it sends its locale as Accept-Language), else English;
    the confirm page speaks the email's language (the link carries it), whatever the browser says."""
    email_subject, button, thanks = expect
    email = f"lang-{uuid.uuid4().hex[:10]}@example.com"
    ann = await api.new_subject(identities=[{"kind": "email", "value": email}])
    if profile_language:
        r = await api.client.patch(
            f"/v1/subjects/{ann['id']}/preferences",
            json={"touchpoint": "web", "language": profile_language, "items": []},
            headers=await api.headers("preferences:write"),
        )
        assert r.status_code == 200, r.text
    headers = await _subject_token(api, ann["id"], touchpoint="account")
    r = await _grant_newsletter(api, ann["id"], {**headers, "Accept-Language": accept_language}, "account")
    assert r.status_code == 201 and r.json()["status"] == "pending_confirmation", r.text
    mail = next(m for m in _mails(api) if m["To"] == email)
    assert email_subject in mail["Subject"]
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    assert button in html_part
    path = "/confirm/" + re.search(r"/confirm/(\S+)", plain).group(1)
    page = await api.client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and button in page.text
    done = await api.client.post(path, headers={"Accept-Language": "en"})
    assert done.status_code == 200 and thanks in done.text


async def test_a_broken_confirm_link_answers_in_the_browsers_language(api):
    r = await api.client.get("/confirm/not-a-token", headers={"Accept-Language": "fr-CA, en;q=0.1"})
    assert r.status_code == 404 and "Lien non valide" in r.text and 'lang="fr"' in r.text
