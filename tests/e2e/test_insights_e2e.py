"""/admin/insights in Debian's Chromium against the real server: an analyst sets their password from the
one-time link, signs in and sees the charts (SVG drawn by the server) with their tables and CSV downloads;
axe-core finds nothing serious at 1280 and 320 px, and nothing scrolls sideways. Screenshots of both widths
go to the test's output folder (docs/insights-chart.png is the README's)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import serious_violations

pytestmark = pytest.mark.e2e

PASSWORD = "chart reader seven lanterns"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _seed(server) -> None:
    """Feedback from a dozen people at three touchpoints, contacts on two channels, preferred channels and
    some "contact me about nothing"; then the worker's sweeps fold and count them."""
    for n in range(14):
        sid = server.new_subject(email=f"insight-{uuid.uuid4().hex[:8]}@example.com")
        for metric, score in (("csat", 2 + n % 4), ("nps", 4 + n % 7), ("ces", 3 + n % 5)):
            body = {
                "metric": metric,
                "score": score,
                "subject": sid,
                "channel": ("email", "sms", "web")[n % 3],
                "touchpoint": ("email_link", "support", "web")[n % 3],
            }
            r = server.post("/v1/feedback", json=body)
            assert r.status_code == 201, r.text
        contact = {
            "channel": ("chat", "phone")[n % 2],
            "touchpoint": "support",
            "direction": "inbound",
            "outcome": "resolved",
            "handle_seconds": 120 + 30 * n,
        }
        assert server.post(f"/v1/subjects/{sid}/interactions", json=contact).status_code == 201
        settings = {"touchpoint": "web", "preferred_channel": ("email", "sms")[n % 2]}
        if n % 2 == 0:
            settings["do_not_contact"] = True
        assert server.patch(f"/v1/subjects/{sid}/preferences", json=settings).status_code == 200
    server.run_worker()  # the insights sweeps: the contacts folded, the audience counted


async def test_an_analyst_reads_the_charts(server, page):
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    _seed(server)
    email = f"analyst-{uuid.uuid4().hex[:8]}@example.com"
    r = server.post("/v1/staff", json={"email": email, "name": "Ana Lyst", "role": "analyst"})
    assert r.status_code == 201, r.text
    await page.goto(
        r.json()["password_link"]["url"].replace("http://localhost", server.url.rsplit(":", 1)[0])
    )
    await page.get_by_label("New password").fill(PASSWORD)
    await page.get_by_label("The same password again").fill(PASSWORD)
    await page.get_by_role("button", name="Set password").click()
    await page.goto(server.url + "/admin/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.set_viewport_size({"width": 1280, "height": 900})
    nav = page.get_by_role("navigation", name="Admin")
    await nav.get_by_role("link", name="Insights").click()
    await expect(page.get_by_role("heading", level=1, name="Insights")).to_be_visible()
    await expect(nav.get_by_role("link", name="GDPR requests")).to_have_count(0)  # analysts: insights only
    csat = page.get_by_role("img", name="Customer satisfaction (CSAT, share scoring 4-5)")
    await expect(csat).to_be_visible()
    bars = page.get_by_role("img", name="Feedback answers by touchpoint")
    await expect(bars.locator("rect")).to_have_count(3)
    section = page.locator("section.insight", has=bars)
    await section.get_by_text("Data table").click()
    await expect(section.get_by_role("table")).to_contain_text("email_link")
    async with page.expect_download() as download_info:
        await section.get_by_role("link", name="Download CSV").click()
    download = await download_info.value
    assert (await download.path()).read_text().startswith("period,group,responses,csat,nps,ces")
    # The browser tests share one server: other tests' people may add groups, so look for this test's own.
    preferred = page.get_by_role("img", name="People by preferred channel")
    await expect(preferred.locator("rect").nth(1)).to_be_visible()  # email and sms, seven each
    await _expect_rows(page, preferred, "email", "sms")
    nothing = page.get_by_role("img", name=re.compile("contact me about nothing"))
    await expect(nothing.locator("path")).to_have_count(2)  # do-not-contact on and off
    contacts = page.get_by_role("img", name="Contacts by channel")
    await expect(contacts.locator("rect").nth(1)).to_be_visible()  # from the service rollup
    await _expect_rows(page, contacts, "chat", "phone")
    assert serious_violations(await axe.run(page)) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "insights-1280.png", full_page=True)
    await section.screenshot(path=SHOTS / "insights-chart.png")

    await page.set_viewport_size({"width": 320, "height": 800})
    await page.reload()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the insights page scrolls sideways by {overflow}px at 320px"
    assert serious_violations(await axe.run(page)) == []
    await page.screenshot(path=SHOTS / "insights-320.png", full_page=True)


async def _expect_rows(page, chart, *groups: str) -> None:
    """The chart's data table (opened) has a row for each of ``groups``."""
    section = page.locator("section.insight", has=chart)
    await section.get_by_text("Data table").click()
    table = section.get_by_role("table")
    for group in groups:
        await expect(table.get_by_role("row", name=re.compile(rf"\b{group}\b"))).not_to_have_count(0)
