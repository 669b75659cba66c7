"""The customer-page review's fixes (issue 14 item 4) in Debian's Chromium against the real server: a
service message (no switch, its last channel stays), the compact sign-up naming and recording only its
channels, ``prefcenter:token-expired`` answered by the host page with a fresh ``data-token``, the branded
hosted page, and the hosted, unsubscribe and confirm pages at 320 px (axe-clean, nothing scrolls sideways,
screenshots in build/screenshots/), branded by the site their signed link carries."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from prefcenter.auth.tokens import TokenIssuer
from prefcenter.keys import load_keys
from prefcenter.settings import KeySettings
from tests.e2e.helpers import cell, loaded, of_type, save_and_wait

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
SITE = "nordwind"
SITE_ORIGIN = "https://travel.nordwind.example"
LOGO_URL = "https://cdn.nordwind.example/logo.svg"
BRANDING = {"company_name": "Nordwind Reisen", "logo_url": LOGO_URL, "accent_colour": "#0b57d0"}
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" '
    'fill="#0b57d0"/><text x="10" y="26" fill="#fff" font-size="16">Nordwind</text></svg>'
)


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def _at_320(page: Page, name: str) -> None:
    """axe-clean at 320 px, nothing scrolls sideways, and a screenshot for the record."""
    await page.set_viewport_size({"width": 320, "height": 800})
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 320px"
    assert _serious(await Axe().run(page)) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}-320.png", full_page=True)


def _host_page(server, widget: str, script: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><title>Shop</title>'
        f'<script src="/widget/v1/prefcenter.js" data-api="{server.url}" async></script></head>'
        f"<body><main><h1>Shop</h1>{widget}</main>{script}</body></html>"
    )


async def _serve(page: Page, server, path: str, html: str) -> None:
    await page.route(server.url + path, lambda route: route.fulfill(body=html, content_type="text/html"))
    await page.goto(server.url + path)


@pytest.fixture
def branded_site(server):
    r = httpx.put(
        f"{server.url}/v1/sites/{SITE}",
        json={"name": "Nordwind travel", "origins": [SITE_ORIGIN], "branding": BRANDING},
        headers=server.headers(),
    )
    assert r.status_code == 200, r.text
    yield SITE
    httpx.delete(f"{server.url}/v1/sites/{SITE}", headers=server.headers())


@pytest.fixture
async def logo(context):
    """The logo's CDN, answered in the browser (the test machine has no way out)."""
    await context.route(LOGO_URL, lambda route: route.fulfill(body=LOGO_SVG, content_type="image/svg+xml"))


async def test_a_service_message_has_no_switch_and_keeps_its_last_channel(server, page):
    sid = server.new_subject()
    await page.goto(server.manage_url(sid))
    widget = await loaded(page.locator("#pc-manage"))
    row = widget.locator('tr[data-topic="billing"]')
    await expect(row.locator('[data-pc="service-message"]')).to_have_text("Service message")
    await expect(row.get_by_role("switch")).to_have_count(0)
    await expect(row.locator('[data-pc="compact-checkbox"]')).to_have_count(0)
    for channel in ("email", "sms", "post"):
        await expect(cell(widget, "billing", channel)).to_be_checked()
    await cell(widget, "billing", "sms").uncheck()
    await cell(widget, "billing", "post").uncheck()
    await expect(cell(widget, "billing", "email")).to_be_checked()
    await expect(cell(widget, "billing", "email")).to_be_disabled()  # the last channel stays
    await cell(widget, "billing", "sms").check()
    await expect(cell(widget, "billing", "email")).to_be_enabled()
    await cell(widget, "billing", "sms").uncheck()
    await save_and_wait(widget)
    stored = {
        p["channel"]: p["status"] for p in server.profile(sid)["preferences"] if p["topic"] == "billing"
    }
    assert stored == {"sms": "opted_out", "post": "opted_out"}, stored


async def test_the_compact_sign_up_names_and_records_only_its_channels(server, page):
    sid = server.new_subject()
    token = server.widget_token(sid, server.url, mode="compact", touchpoint="signup").json()["token"]
    widget_html = (
        '<prefcenter-preferences data-mode="compact" data-topics="offers" data-channels="email,sms" '
        f'data-token="{token}"></prefcenter-preferences>'
    )
    await _serve(page, server, "/signup-channels", _host_page(server, widget_html))
    widget = page.locator("prefcenter-preferences")
    box = widget.locator('input[data-pc="compact-checkbox"][data-topic="offers"]')
    await expect(box).to_be_visible(timeout=15_000)
    await expect(widget.locator('[data-pc="compact-channels"]')).to_have_text("by Email and SMS")
    await box.check()
    await save_and_wait(widget)
    offers = next(c for c in server.profile(sid)["consents"] if c["topic"] == "offers")
    assert sorted(offers["channels"]) == ["email", "sms"] and offers["status"] == "granted"
    granted = of_type(server.events(sid), "consent.granted")[-1]
    assert sorted(granted["data"]["channels"]) == ["email", "sms"] and granted["touchpoint"] == "signup"


def _expired_subject_token(server, subject_id: str) -> str:
    """A subject token the server signed (its own key) that expired two minutes ago."""
    var = server.var
    keys = load_keys(
        KeySettings(var / "master.key", var / "pepper.key", var / "signing.key", generate_missing=False)
    )
    issuer = TokenIssuer(keys.signing_key, "prefcenter", 900, 900)
    token, _ = issuer.subject_token(
        subject_id=subject_id,
        client_id=server.client_id,
        origin=server.url,
        touchpoint="account",
        mode="full",
        agent_id=None,
        ttl=-120,
    )
    return token


async def test_the_host_page_answers_token_expired_with_a_fresh_token(server, page):
    sid = server.new_subject()
    expired = _expired_subject_token(server, sid)
    fresh = server.widget_token(sid, server.url, touchpoint="account").json()["token"]
    widget_html = (
        f'<prefcenter-preferences id="pc" data-mode="full" data-token="{expired}"></prefcenter-preferences>'
    )
    # The host page's answer: count the event, then hand the element a fresh token a moment later.
    script = (
        "<script>window.pcExpired = [];"
        "document.addEventListener('prefcenter:token-expired', (e) => {"
        " window.pcExpired.push(e.target.id);"
        f" setTimeout(() => e.target.setAttribute('data-token', '{fresh}'), 1500); }});</script>"
    )
    await _serve(page, server, "/account-expiry", _host_page(server, widget_html, script))
    widget = page.locator("#pc")
    status = widget.locator('[data-pc="status"]')
    await expect(status).to_contain_text("this page has timed out", timeout=15_000)
    await expect(widget.locator('[data-pc="retry"]')).to_be_hidden()  # no retry that cannot succeed
    await loaded(widget)  # the fresh token loads the preferences
    assert await page.evaluate("window.pcExpired") == ["pc"]
    await cell(widget, "offers", "email").check()
    await save_and_wait(widget)
    assert next(c for c in server.profile(sid)["consents"] if c["topic"] == "offers")["channels"] == ["email"]


def _grant_newsletter(server, subject_id: str, token: str) -> None:
    """Consent to the double opt-in newsletter as the widget would, with a subject token of the site."""
    topic = next(t for t in server.get("/v1/catalog").json()["topics"] if t["key"] == "newsletter")
    grant = httpx.post(
        f"{server.url}/v1/subjects/{subject_id}/consents",
        json={
            "topic": "newsletter",
            "channels": ["email"],
            "notice_version": topic["notice"]["version"],
            "method": "checkbox",
            "touchpoint": "web",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert grant.status_code == 201 and grant.json()["status"] == "pending_confirmation", grant.text


async def test_branded_hosted_page_unsubscribe_and_confirm_pages_at_320px(
    server, mailbox, page, branded_site, logo
):
    box, _ = mailbox
    email = f"greta.holm-{uuid.uuid4().hex[:6]}@example.com"
    sid = server.new_subject(email=email)

    # The hosted preference page of the site's link: its logo, company, whose preferences, its accent.
    r = server.post(f"/v1/subjects/{sid}/manage-links", params={"site": branded_site})
    assert r.status_code == 201, r.text
    await page.goto(r.json()["url"])
    widget = await loaded(page.locator("#pc-manage"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nordwind Reisen")
    await expect(page.get_by_role("img", name="Nordwind Reisen")).to_be_visible()
    assert await page.locator("img.logo").evaluate("img => img.naturalWidth") > 0
    await expect(page.locator("[data-whose]")).to_have_text(re.compile(r"^Preferences for g\*+@e\*+\.com$"))
    accent = await widget.evaluate("el => getComputedStyle(el).getPropertyValue('--pc-accent').trim()")
    assert accent == "#0b57d0"
    await _at_320(page, "customer-hosted-page")

    # The unsubscribe page of a link minted for the site (the site is signed inside the token).
    r = server.post(
        "/v1/unsubscribe-links", json={"channel": "email", "subjects": [sid], "site": branded_site}
    )
    assert r.status_code == 200, r.text
    unsubscribe = await page.context.new_page()
    await unsubscribe.goto(r.json()["items"][0]["url"])
    await expect(unsubscribe.get_by_text("Messages from Nordwind Reisen")).to_be_visible()
    await expect(unsubscribe.get_by_role("button", name="Unsubscribe")).to_be_visible()
    await _at_320(unsubscribe, "customer-unsubscribe-page")

    # The confirm page of a double opt-in given on the site's widget.
    token = server.widget_token(sid, SITE_ORIGIN, site=branded_site).json()["token"]
    _grant_newsletter(server, sid, token)
    message = box.wait_for(email)
    assert "Nordwind Reisen" in message["Subject"]
    link = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", message.get_body(("plain",)).get_content())
    confirm = await page.context.new_page()
    await confirm.goto(link.group(1))
    await expect(confirm.get_by_role("heading", level=1)).to_have_text("Nordwind Reisen: please confirm")
    await expect(confirm.get_by_role("img", name="Nordwind Reisen")).to_be_visible()
    await expect(confirm.get_by_role("button", name="Confirm my subscription")).to_be_visible()
    await _at_320(confirm, "customer-confirm-page")

    # A mangled link is the "not valid" page in the browser's language, not JSON.
    german = await page.context.browser.new_context(locale="de-DE")
    try:
        mangled = await german.new_page()
        answer = await mangled.goto(server.url + "/u/" + "x" * 900)
        assert answer.status == 404 and answer.headers["content-type"].startswith("text/html")
        await expect(mangled.get_by_role("heading", level=1)).to_have_text("Link ungültig")
        # An address that is no page at all (cut short before /u/...) is a page too, axe-clean at 320 px.
        answer = await mangled.goto(server.url + "/unsubscrib")
        assert answer.status == 404 and answer.headers["content-type"].startswith("text/html")
        await expect(mangled.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
        await _at_320(mangled, "customer-no-such-page")
    finally:
        await german.close()
