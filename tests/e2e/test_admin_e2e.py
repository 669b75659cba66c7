"""The admin pages in Debian's Chromium against the real server: sign in as an officer, record an
access request, verify it with a note, find it in the list; axe-core on the dashboard and the request page."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import serious_violations
from tests.e2e.staff_accounts import PASSWORD, new_staff, set_password

pytestmark = pytest.mark.e2e


async def test_an_officer_records_and_verifies_a_request(server, page):
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    email = f"admin-e2e-{uuid.uuid4().hex[:8]}@example.com"
    subject_id = server.new_subject(email=email)
    officer_id, officer_email, link = new_staff(server, "officer")
    set_password(link)

    await page.goto(server.url + "/")
    await page.get_by_role("link", name="Staff console").click()
    await expect(page).to_have_url(re.compile(r"/admin/login"))
    await page.get_by_label("Email").fill(officer_email)
    await page.get_by_label("Password").fill(PASSWORD + "-wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("the email or password is not right")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    await expect(page.get_by_role("heading", name="Open GDPR requests")).to_be_visible()
    await expect(page.get_by_text("intact")).to_be_visible()
    assert serious_violations(await axe.run(page)) == []

    await page.get_by_role("link", name="Record a new request").first.click()
    await page.get_by_label("Type of request").select_option("access")
    await page.get_by_label("Identity").fill(f"email:{email.upper()}")
    await page.get_by_label("Note").fill("asked by phone")
    await page.get_by_role("button", name="Record the request").click()
    await expect(page.get_by_role("status")).to_contain_text("The request was recorded.")
    request_id = re.search(r"/admin/dsr/([0-9a-f-]{36})", page.url).group(1)
    person = page.locator(f'a[href="/admin/subjects/{subject_id}"]')  # by masked identity, not a bare id
    await expect(person).to_be_visible()
    assert subject_id not in await person.inner_text()

    await page.get_by_label("How identity was checked").fill("ID card checked at the desk <b>ok</b>")
    await page.get_by_role("button", name="Mark verified").click()
    await expect(page.get_by_role("status")).to_contain_text("Identity verified")
    history = page.get_by_role("table", name="History, oldest first")
    await expect(history).to_contain_text("ID card checked at the desk <b>ok</b>")  # shown as text, escaped
    await expect(history).to_contain_text("E2E Officer (staff)")  # the person by name, not an actor code
    assert serious_violations(await axe.run(page)) == []

    await page.set_viewport_size({"width": 320, "height": 800})
    await page.reload()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the request page scrolls sideways by {overflow}px at 320px"
    assert serious_violations(await axe.run(page)) == []

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.get_by_role("navigation", name="Admin").get_by_role("link", name="GDPR requests").click()
    await page.get_by_label("Type").select_option("access")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=request_id[:8])).to_be_visible()

    r = server.get(f"/v1/dsr-requests/{request_id}")
    assert r.json()["verification_method"] == "officer"
    assert r.json()["history"][1]["actor_id"] == officer_id

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    await page.goto(server.url + "/admin")
    await expect(page).to_have_url(re.compile(r"/admin/login"))
