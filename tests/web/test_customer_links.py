"""Emailed links as a person meets them, on SQLite and PostgreSQL: a mangled link on /u/, /p/ or /confirm/
answers the "link not valid" page (404, HTML, the browser's language), never problem+json; an unsubscribe
link carries its site signed inside the token (an unsigned ``?site=`` brands nothing; version 2 tokens still
open); a double opt-in email and its confirm page show the branding of the site the consent was given on."""

from __future__ import annotations

import re
import struct
import time
import uuid
from email import message_from_bytes, policy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete

from prefcenter.store.models_sites import Site
from prefcenter.unsubscribe.tokens import DOMAIN, SITELESS_VERSION, UnsubscribeTokens, _b64
from tests.checks.helpers import subject_with

TRAVEL_ORIGIN = "https://travel.nordwind.example"
BRANDING = {
    "company_name": "Nordwind Reisen",
    "logo_url": "https://cdn.nordwind.example/logo.svg",
    "accent_colour": "#0B57D0",
}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
MANGLED = [
    "a" * 3000,  # run on past any token's length
    "abc%0Adef",  # a line break in the middle
    "ab%20cd",  # a space (a mail client wrapped the line)
    "%3Cscript%3E",
    "tok%C3%A9n",  # a non-ASCII character
    "a.b.c%00",
]


@pytest.fixture
async def branded(api):
    admin = await api.headers("admin")
    r = await api.client.put(
        "/v1/sites/travel",
        json={"name": "Travel", "origins": [TRAVEL_ORIGIN], "branding": BRANDING},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    await api.client.put(
        "/v1/sites/other", json={"name": "Other", "origins": ["https://o.example"]}, headers=admin
    )
    api.ctx.origins.invalidate()
    yield api
    async with api.ctx.db.write_session() as session:
        await session.execute(delete(Site))
    api.ctx.origins.invalidate()


def _is_not_valid_page(r, lang: str = "de") -> bool:
    return (
        r.status_code == 404
        and r.headers["content-type"].startswith("text/html")
        and f'<html lang="{lang}">' in r.text
    )


async def test_a_mangled_link_answers_the_not_valid_page_in_the_browsers_language(api):
    for token in MANGLED:
        for method, path in (
            ("GET", f"/u/{token}"),
            ("POST", f"/u/{token}"),
            ("GET", f"/p/{token}"),
            ("GET", f"/confirm/{token}"),
            ("POST", f"/confirm/{token}"),
        ):
            data = {"List-Unsubscribe": "One-Click"} if method == "POST" else None
            r = await api.client.request(method, path, headers=GERMAN, data=data)
            assert _is_not_valid_page(r), (method, path[:40], r.status_code, r.text[:200])
            assert "Link ungültig" in r.text, r.text
    french = await api.client.get("/u/" + "x" * 700, headers={"Accept-Language": "fr"})
    assert _is_not_valid_page(french, "fr")


async def test_an_unsubscribe_link_opens_with_tracking_parameters_appended(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "topic": "offers", "subjects": [s["id"]]},
        headers=await api.headers("preferences:write"),
    )
    path = r.json()["items"][0]["url"].split("://", 1)[1].split("/", 1)[1]
    page = await api.client.get(f"/{path}?utm_source=newsletter&utm_source=again")
    assert page.status_code == 200 and 'method="post"' in page.text


async def test_the_unsubscribe_link_carries_its_site_signed(branded):
    api = branded
    subject = await api.new_subject()
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "subjects": [subject["id"]], "site": "travel"},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    url = r.json()["items"][0]["url"]
    token = url.rsplit("/", 1)[1]
    assert "?" not in url and len(token) < 200
    claim = UnsubscribeTokens(api.ctx.keys.signing_key, 90).verify(token)
    assert claim.site == "travel" and claim.subject_id == subject["id"]
    page = await api.client.get(f"/u/{token}?site=other", headers=GERMAN)  # an unsigned site changes nothing
    assert page.status_code == 200 and "Nachrichten von Nordwind Reisen" in page.text
    assert 'src="https://cdn.nordwind.example/logo.svg"' in page.text

    # a link minted without a site cannot be dressed in one
    plain = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "subjects": [subject["id"]]},
        headers=await api.headers("preferences:write"),
    )
    plain_token = plain.json()["items"][0]["url"].rsplit("/", 1)[1]
    page = await api.client.get(f"/u/{plain_token}?site=travel")
    assert page.status_code == 200 and "Nordwind" not in page.text
    assert api.settings.company.name in page.text


def _version_2_token(signing_key: bytes, subject_id: str, channel: str, topic: str) -> str:
    """A token as links were minted before they carried a site."""
    issued = time.time_ns() // 1_000_000
    payload = (
        bytes([SITELESS_VERSION])
        + uuid.UUID(subject_id).bytes
        + bytes([len(channel)])
        + channel.encode()
        + bytes([len(topic)])
        + topic.encode()
        + struct.pack(">QI", issued, issued // 1000 + 86_400)
    )
    signature = Ed25519PrivateKey.from_private_bytes(signing_key).sign(DOMAIN[SITELESS_VERSION] + payload)
    return _b64(payload + signature)


async def test_links_minted_before_they_carried_a_site_still_work(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    token = _version_2_token(api.ctx.keys.signing_key, s["id"], "email", "offers")
    claim = UnsubscribeTokens(api.ctx.keys.signing_key, 90).verify(token)
    assert (claim.subject_id, claim.topic, claim.site) == (s["id"], "offers", None)
    assert (await api.client.get(f"/u/{token}")).status_code == 200
    done = await api.client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and done.headers["x-unsubscribe-status"] == "unsubscribed"


def _mails_to(api, address: str) -> list:
    directory = api.settings.var_dir / "mail"
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in directory.glob("*.eml")]
    return [m for m in mails if m["To"] == address]


@pytest.mark.parametrize(
    "token_body", [{"origin": TRAVEL_ORIGIN}, {"site": "travel", "origin": TRAVEL_ORIGIN}]
)
async def test_double_opt_in_email_and_confirm_page_show_the_sites_branding(branded, token_body):
    api = branded
    email = f"greta-{uuid.uuid4().hex[:8]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    write = await api.headers("preferences:write")
    r = await api.client.post(f"/v1/subjects/{subject['id']}/widget-tokens", json=token_body, headers=write)
    assert r.status_code == 201, r.text
    widget = {"Authorization": f"Bearer {r.json()['token']}", "Origin": TRAVEL_ORIGIN, **GERMAN}
    catalog = (await api.client.get("/v1/catalog", headers=await api.headers("preferences:read"))).json()
    notice = next(t for t in catalog["topics"] if t["key"] == "newsletter")["notice"]["version"]
    grant = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents",
        json={
            "topic": "newsletter",
            "channels": ["email"],
            "notice_version": notice,
            "method": "checkbox",
            "touchpoint": "web",
        },
        headers=widget,
    )
    assert grant.status_code == 201 and grant.json()["status"] == "pending_confirmation", grant.text
    (mail,) = _mails_to(api, email)
    assert "Nordwind Reisen" in mail["Subject"]
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert 'src="https://cdn.nordwind.example/logo.svg"' in html and "color:#0b57d0" in html
    link = re.search(r"(\S+/confirm/\S+)", mail.get_body(preferencelist=("plain",)).get_content()).group(1)
    path = "/confirm/" + link.split("/confirm/")[1]
    page = await api.client.get(path)
    assert page.status_code == 200, page.text
    assert "Nachrichten von Nordwind Reisen" in page.text and "Nordwind Reisen: Bitte bestätigen" in page.text
    assert 'src="https://cdn.nordwind.example/logo.svg"' in page.text
    assert "button.primary{background:#0b57d0}" in page.text
    assert "https://cdn.nordwind.example" in page.headers["content-security-policy"]
