"""The console in each person's own time zone, in Debian's Chromium against the real server: an officer sets
theirs on "Your settings" with the keyboard (audited as them), the GDPR request list and detail then show
dates in it, people by masked identity and external id, and readable labels; both pages are axe-clean at
1280 and 320 px with nothing scrolling sideways. An identity revealed on a person's page is shown once:
reloading the page shows it masked and reveals nothing again (one audit event). Screenshots in
build/screenshots/dsr-*.png."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.helpers import serious_violations
from tests.e2e.staff_accounts import new_staff, set_password, sign_in, staff_events

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
IN_UTC = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


async def _tab_to(page: Page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"keyboard focus never reached {selector}")


async def _check_layout(page: Page, name: str) -> None:
    """axe-clean and screenshots at 1280 and at 320 px, where nothing may scroll sideways."""
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (320, 800)):
        await page.set_viewport_size({"width": width, "height": height})
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        assert serious_violations(await axe.run(page)) == [], f"{name} at {width}px"
        await page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_an_officer_works_in_their_own_time_zone_and_a_reveal_is_shown_once(server, page):
    email = f"tz-{uuid.uuid4().hex[:8]}@example.com"
    body = {"identities": [{"kind": "email", "value": email}], "external_id": f"cust-{uuid.uuid4().hex[:8]}"}
    r = server.post("/v1/subjects", json=body)
    assert r.status_code == 201, r.text
    sid, external_id = r.json()["id"], r.json()["external_id"]
    r = server.post("/v1/dsr-requests", json={"type": "access", "subject_id": sid})
    assert r.status_code in (200, 201), r.text
    rid = r.json()["id"]

    officer_id, officer_email, link = new_staff(server, "officer")
    set_password(link)
    await sign_in(page, server, officer_email)
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()

    # Your settings, from the header, with the keyboard: the time zone select, saved.
    await _tab_to(page, 'a[href="/admin/me"]')
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1, name="Your settings")).to_be_visible()
    zone = page.get_by_label("Show dates and times in")
    await expect(zone).to_have_value("UTC")
    await _tab_to(page, "#time_zone")
    await zone.select_option("Asia/Tokyo")  # a native select: the keyboard's type-ahead picks the same option
    await _tab_to(page, 'form[action="/admin/me"] button[type="submit"]', limit=5)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Your time zone is saved.")
    await expect(zone).to_have_value("Asia/Tokyo")
    await _check_layout(page, "settings")
    changed = [e for e in staff_events(server, officer_id) if e["type"] == "staff.time_zone_changed"]
    assert len(changed) == 1 and changed[0]["data"]["to"] == "Asia/Tokyo"

    # The GDPR request list: dates in Tokyo time, the person by masked email and external id, labels.
    await page.goto(server.url + "/admin/dsr?type=access")
    requests = page.get_by_role("table", name="Requests")
    row = requests.get_by_role("row").filter(has=page.locator(f'a[href="/admin/dsr/{rid}"]'))
    await expect(row).to_contain_text("JST")
    await expect(row).to_contain_text("Access")
    await expect(row).to_contain_text("Received")
    await expect(row.get_by_role("link", name="t***@e***.com")).to_have_attribute(
        "href", f"/admin/subjects/{sid}"
    )
    await expect(row).to_contain_text(f"external id {external_id}")
    assert not IN_UTC.search(await page.content())
    await _check_layout(page, "dsr-list")

    # The request itself, reached with the keyboard.
    await _tab_to(page, f'a[href="/admin/dsr/{rid}"]')
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Access request"))
    await expect(page.get_by_role("table", name="History, oldest first")).to_contain_text("JST")
    assert not IN_UTC.search(await page.content())
    await _check_layout(page, "dsr-detail")

    # A reveal, shown once: a reload shows the page masked and reveals nothing again.
    await page.goto(server.url + f"/admin/subjects/{sid}")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Email"))
    await row.get_by_label("Reason").fill("Caller asked to confirm the address on file")
    await row.get_by_role("button", name="Reveal").click()
    await expect(page.locator("#revealed")).to_contain_text(email)
    assert page.url.startswith(server.url + f"/admin/subjects/{sid}")  # redirected to the page (GET)
    await page.reload()
    await expect(page.get_by_role("heading", name="Identities")).to_be_visible()
    assert email not in await page.content()
    revealed = [e for e in staff_events(server, officer_id) if e["type"] == "staff.identity_revealed"]
    assert len(revealed) == 1
