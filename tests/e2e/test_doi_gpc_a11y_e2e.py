"""Double opt-in confirmed from the real email (aiosmtpd), Global Privacy Control, keyboard-only use,
axe-core and a 320 px viewport, in Debian's Chromium against the real server."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import COMPANY
from tests.e2e.helpers import cell, deep_active, loaded, of_type, save_and_wait, serious_violations, tab_to

pytestmark = pytest.mark.e2e


async def test_double_opt_in_is_confirmed_from_the_real_email(server, mailbox, page, context):
    box, _ = mailbox
    email = f"doi-{uuid.uuid4().hex[:8]}@example.com"
    sid = server.new_subject(email=email)
    await page.goto(server.manage_url(sid))
    widget = await loaded(page.locator("#pc-manage"))
    await cell(widget, "newsletter", "email").check()
    await save_and_wait(widget)
    await expect(widget.locator('tr[data-topic="newsletter"] [data-pc="pending"]')).to_contain_text(
        "Waiting for your confirmation"
    )
    newsletter = next(c for c in server.profile(sid)["consents"] if c["topic"] == "newsletter")
    assert newsletter["status"] == "pending_confirmation"

    message = box.wait_for(email)
    assert COMPANY in message["Subject"] and "Newsletter" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert COMPANY in text
    link = re.search(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", text).group(1)

    confirm = await context.new_page()
    await confirm.goto(link)  # what a mail scanner's prefetch does: it must not confirm
    button = confirm.get_by_role("button", name="Confirm my subscription")
    await expect(button).to_be_visible()
    assert next(c for c in server.profile(sid)["consents"] if c["topic"] == "newsletter")["status"] == (
        "pending_confirmation"
    )
    await button.click()
    await expect(confirm.get_by_role("heading", name="Thank you")).to_be_visible()

    newsletter = next(c for c in server.profile(sid)["consents"] if c["topic"] == "newsletter")
    assert newsletter["status"] == "granted" and newsletter["confirmed_at"]
    events = server.events(sid)
    assert [e["type"] for e in events if e["type"].startswith("consent.")] == [
        "consent.pending_confirmation",
        "consent.confirmation_sent",
        "consent.confirmed",
    ]
    confirmed = of_type(events, "consent.confirmed")[0]
    assert confirmed["touchpoint"] == "email_link" and confirmed["actor_type"] == "customer"

    await page.reload()
    widget = await loaded(page.locator("#pc-manage"))
    await expect(cell(widget, "newsletter", "email")).to_be_checked()
    await expect(widget.locator('[data-pc="pending"]')).to_have_count(0)


async def test_global_privacy_control_opts_out_once_and_the_widget_says_so(server, browser):
    sid = server.new_subject()
    catalog = server.get("/v1/catalog").json()
    version = next(t for t in catalog["topics"] if t["key"] == "offers")["notice"]["version"]
    r = server.post(
        f"/v1/subjects/{sid}/consents",
        json={
            "topic": "offers",
            "channels": ["email", "sms"],
            "notice_version": version,
            "method": "checkbox",
            "touchpoint": "web",
        },
    )
    assert r.status_code == 201, r.text
    context = await browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    await context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    try:
        page = await context.new_page()
        failed = []
        page.on(
            "response", lambda resp: failed.append((resp.status, resp.url)) if resp.status >= 400 else None
        )
        url = server.manage_url(sid)
        await page.goto(url)
        widget = await loaded(page.locator("#pc-manage"))
        await expect(widget.locator('[data-pc="gpc-notice"]')).to_contain_text("Offers and discounts")
        await expect(cell(widget, "offers", "email")).not_to_be_checked()
        assert failed == []

        events = server.events(sid)
        withdrawn = of_type(events, "consent.withdrawn")
        assert len(withdrawn) == 1 and withdrawn[0]["data"]["method"] == "gpc"
        assert len(of_type(events, "gpc.honoured")) == 1
        assert of_type(events, "gpc.honoured")[0]["data"]["topics"] == ["offers"]
        opted_out = [e for e in of_type(events, "preference.set") if e["data"]["reason"] == "gpc"]
        assert sorted(e["data"]["channel"] for e in opted_out) == ["email", "phone", "push", "sms"]

        # The customer's own later choice wins; GPC is not applied again.
        await cell(widget, "offers", "email").check()
        await save_and_wait(widget)
        await page.reload()
        await loaded(page.locator("#pc-manage"))
        await expect(cell(page.locator("#pc-manage"), "offers", "email")).to_be_checked()
        assert len(of_type(server.events(sid), "gpc.honoured")) == 1
        assert len(of_type(server.events(sid), "consent.withdrawn")) == 1
    finally:
        await context.close()


async def test_keyboard_only_use(server, page):
    sid = server.new_subject()
    await page.goto(server.manage_url(sid))
    widget = await loaded(page.locator("#pc-manage"))
    await page.locator("h1").click()  # start from the page, not the address bar

    switch = await tab_to(page, lambda a: a["pc"] == "dnc")
    assert switch["tag"] == "BUTTON"
    await page.keyboard.press("Space")
    await expect(widget.get_by_role("switch", name="Contact me about nothing")).to_have_attribute(
        "aria-checked", "true"
    )
    await expect(widget.locator('[data-pc="matrix"]')).to_have_attribute("disabled", "")
    await expect(cell(widget, "offers", "sms")).to_be_disabled()
    await page.keyboard.press("Space")
    await expect(cell(widget, "offers", "sms")).to_be_enabled()

    await tab_to(page, lambda a: a["pc"] == "cell" and a["topic"] == "offers" and a["channel"] == "sms")
    await page.keyboard.press("Space")
    assert (await deep_active(page))["checked"] is True
    await tab_to(page, lambda a: a["pc"] == "save")
    await page.keyboard.press("Enter")
    await expect(widget.locator('[data-pc="status"]')).to_have_attribute("data-state", "ok", timeout=15_000)
    assert (await deep_active(page))["pc"] == "save"  # focus stays where the user was
    offers = next(c for c in server.profile(sid)["consents"] if c["topic"] == "offers")
    assert offers["channels"] == ["sms"] and offers["status"] == "granted"


async def test_axe_finds_no_serious_violations_and_320px_is_readable(server, page):
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    await page.goto(server.url + "/")
    await loaded(page.locator("#pc-full"))
    await loaded(page.locator("#pc-agent"))
    assert serious_violations(await axe.run(page)) == []

    await page.set_viewport_size({"width": 320, "height": 800})
    await page.goto(server.manage_url(server.new_subject()))
    widget = await loaded(page.locator("#pc-manage"))
    assert serious_violations(await axe.run(page)) == []
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 320px"
    box = await cell(widget, "offers", "email").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320
    await expect(cell(widget, "offers", "email")).to_be_visible()
