"""The single customer view in Debian's Chromium against the real server: an agent finds a person from the
search box in the header and works the page with the keyboard alone (a contact that continues an earlier
chat, a preference change, a verbal consent with its signed receipt, the timeline filtered by channel and
touchpoint); an officer reveals an identity for a reason. Every one of these is in the audit log as the
person who did it (``GET /v1/audit/events?actor=staff:<id>``). axe-core finds nothing serious at 1280 and
320 px, nothing scrolls sideways at 320; screenshots of both widths in build/screenshots/."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.helpers import serious_violations
from tests.e2e.staff_accounts import new_staff, set_password, sign_in, staff_events

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
TIMELINE = "Everything that happened, newest first"


def _person(server) -> tuple[str, str]:
    """A person with an email and a phone number who talked to the chat about a bill: (id, email)."""
    email = f"Scv-{uuid.uuid4().hex[:8]}@Example.com"
    phone = f"+4915{uuid.uuid4().int % 10**9:09d}"
    body = {"identities": [{"kind": "email", "value": email}, {"kind": "phone", "value": phone}]}
    r = server.post("/v1/subjects", json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    chat = {
        "channel": "chat",
        "touchpoint": "support",
        "direction": "inbound",
        "topic": "billing",
        "summary": "Charged twice in March",
        "outcome": "transferred",
        "agent": "cc-4711",
    }
    assert server.post(f"/v1/subjects/{sid}/interactions", json=chat).status_code == 201
    return sid, email.lower()


async def _tab_to(page: Page, element_id: str, limit: int = 200) -> None:
    """Press Tab until the element with ``element_id`` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"keyboard focus never reached #{element_id}")


async def _check_layout(page: Page, name: str) -> None:
    """axe-clean and screenshots at 1280 and at 320 px, where nothing may scroll sideways."""
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size({"width": 1280, "height": 900})
    assert serious_violations(await axe.run(page)) == []
    await page.screenshot(path=SHOTS / f"{name}-1280.png", full_page=True)
    await page.set_viewport_size({"width": 320, "height": 800})
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 320px"
    assert serious_violations(await axe.run(page)) == []
    await page.screenshot(path=SHOTS / f"{name}-320.png", full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_an_agent_finds_a_person_and_records_for_them_with_the_keyboard(server, page):
    sid, email = _person(server)
    agent_id, agent_email, link = new_staff(server, "agent")
    set_password(link)
    await sign_in(page, server, agent_email)
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()

    # Find the person from the header's search box, by keyboard, with the email in another case.
    await _tab_to(page, "find-person")
    await page.keyboard.type(email.upper())
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Find a person")).to_be_visible()
    await expect(page.get_by_role("heading", name="1 person found")).to_be_visible()
    result = page.get_by_role("list", name="1 person found").get_by_role("link")
    await expect(result).to_have_attribute("href", f"/admin/subjects/{sid}")
    await _check_layout(page, "person-search")
    await expect(page.get_by_role("list", name="1 person found")).to_contain_text("Email: s***@e***.com")
    shown_as = await result.inner_text()  # the first identity, masked
    await result.focus()
    await page.keyboard.press("Enter")

    # The single customer view: identities masked, the chat contact with its summary, no reveal for agents.
    await expect(page.get_by_role("heading", level=1, name=shown_as)).to_be_visible()
    await expect(page.get_by_role("table", name="Identities, masked")).to_contain_text("s***@e***.com")
    assert email not in (await page.content()).lower()
    await expect(page.get_by_role("table", name="Identities, masked")).to_contain_text("Phone")
    await expect(page.get_by_role("button", name="Reveal")).to_have_count(0)
    contacts = page.get_by_role("table", name="Contacts, newest first")
    await expect(contacts).to_contain_text("Charged twice in March")
    assert "staff.subject_viewed" in [e["type"] for e in staff_events(server, agent_id)]

    # A phone call that continues the chat, recorded with the keyboard alone.
    await _tab_to(page, "contact-channel")  # phone, support, inbound are the defaults
    await _tab_to(page, "contact-topic", limit=3)
    await page.keyboard.type("billing")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Refund agreed on the phone")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Resolved")  # the outcome, by typing its label
    await expect(page.locator("#contact-outcome")).to_have_value("resolved")
    await page.keyboard.press("Tab")
    await page.keyboard.type("95")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Chat")  # continues the chat contact
    await expect(page.locator("#contact-continues")).not_to_have_value("")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("The contact was recorded.")
    await expect(contacts).to_contain_text("Refund agreed on the phone")
    await expect(contacts).to_contain_text("Continues the chat contact")
    await expect(contacts).to_contain_text("1 min 35 s")

    # A preference change without its reason: the form comes back filled in with the error beside it.
    await _tab_to(page, "pref-topic")
    await page.keyboard.type("Offers")
    await expect(page.locator("#pref-topic")).to_have_value("offers")
    await page.keyboard.press("Tab")
    await page.keyboard.type("SMS")
    await expect(page.locator("#pref-channel")).to_have_value("sms")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Opted out")
    await expect(page.locator("#pref-status")).to_have_value("opted_out")
    await page.locator("#pref-reason").evaluate(
        "input => input.removeAttribute('required')"
    )  # as if no browser check
    await _tab_to(page, "pref-reason", limit=6)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text(
        "The preference change was not recorded: give the reason"
    )
    await expect(page.locator("#preference-error")).to_be_visible()
    await expect(page.locator("#pref-status")).to_have_value("opted_out")  # as entered
    await page.locator("#pref-reason").focus()
    await page.keyboard.type("Asked for no more texts")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("The preference change was recorded.")
    await expect(page.get_by_role("table", name="Preferences by topic and channel")).to_contain_text(
        "Opted out"
    )

    # A verbal consent to offers by phone, with its signed receipt.
    await _tab_to(page, "consent-topic")
    await page.keyboard.type("Offers")
    await expect(page.locator("#consent-topic")).to_have_value("offers")
    await _tab_to(page, "consent-ch-phone", limit=8)
    await page.keyboard.press("Space")
    await expect(page.locator("#consent-ch-phone")).to_be_checked()
    await _tab_to(page, "consent-reason", limit=8)
    await page.keyboard.type("Said yes to offers by phone")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status").first).to_contain_text("The verbal consent was recorded.")
    await expect(page.get_by_text("Consent receipt (signed):")).to_be_visible()
    consents = page.get_by_role("table", name="Current consents")
    await expect(consents).to_contain_text("Verbal")
    await expect(consents.get_by_text("Signed receipt")).to_be_visible()

    # The timeline, filtered by channel and by touchpoint.
    timeline = page.get_by_role("table", name=TIMELINE)
    await page.locator("#filter-channel").select_option("chat")
    await page.get_by_role("button", name="Filter").click()
    await expect(timeline.get_by_role("cell", name="Contact", exact=True)).to_have_count(1)
    await expect(timeline).to_contain_text("Chat")
    await expect(timeline).not_to_contain_text("Consent given")
    await page.locator("#filter-channel").select_option("phone")
    await page.locator("#filter-touchpoint").select_option("support")
    await page.get_by_role("button", name="Filter").click()
    await expect(timeline).to_contain_text("Consent given")
    await expect(timeline.get_by_role("cell", name="Contact", exact=True)).to_have_count(1)
    await expect(timeline).to_contain_text("E2E Agent (staff)")
    await page.locator("#filter-channel").select_option("")
    await page.locator("#filter-touchpoint").select_option("web")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_text("Nothing matches.")).to_be_visible()

    await page.goto(server.url + f"/admin/subjects/{sid}")
    await _check_layout(page, "person")

    # Everything the agent did is in the audit log as them, the consent given verbally.
    events = staff_events(server, agent_id)
    mine = {e["type"] for e in events if e["subject_id"] == sid}
    assert {"staff.subject_viewed", "interaction.recorded", "preference.set"} <= mine
    consent = next(e for e in events if e["type"] == "consent.granted")
    assert consent["data"]["method"] == "verbal" and consent["data"]["topic"] == "offers"
    assert (consent["actor_type"], consent["actor_id"], consent["subject_id"]) == ("staff", agent_id, sid)


async def test_an_officer_reveals_an_identity_for_a_reason(server, page):
    sid, email = _person(server)
    officer_id, officer_email, link = new_staff(server, "officer")
    set_password(link)
    await sign_in(page, server, officer_email)
    await page.goto(server.url + f"/admin/subjects/{sid}")
    await expect(page.get_by_role("heading", name="GDPR requests")).to_be_visible()
    assert email not in (await page.content()).lower()
    await _check_layout(page, "person-officer")  # with the reveal forms, GDPR requests and downstream state
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Email"))
    await row.get_by_label("Reason").fill("Caller asked to confirm the address on file")
    await row.get_by_role("button", name="Reveal").click()
    await expect(page.locator("#revealed")).to_contain_text(email)
    await page.goto(server.url + f"/admin/subjects/{sid}")  # shown once: the page is masked again
    assert email not in (await page.content()).lower()

    revealed = [e for e in staff_events(server, officer_id) if e["type"] == "staff.identity_revealed"]
    assert len(revealed) == 1 and revealed[0]["subject_id"] == sid
    assert "Caller asked" not in str(revealed[0])  # the reason is sealed
