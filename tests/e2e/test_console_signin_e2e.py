"""The staff console's sign-in in Debian's Chromium against the real server: the demo admin sets a password
from the link ``serve --demo`` printed and adds a staff member; password sign-in with a TOTP code; single
sign-on against the in-test OpenID provider; an analyst refused a personal page. axe-core on the sign-in pages."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.async_api import expect

from prefcenter.core import totp
from tests.e2e.helpers import serious_violations
from tests.e2e.staff_accounts import PASSWORD, new_staff, set_password, sign_in, staff_events

pytestmark = pytest.mark.e2e


async def test_the_demo_admin_sets_a_password_and_adds_a_staff_member(server, page):
    from axe_playwright_python.async_playwright import Axe

    axe = Axe()
    match = re.search(
        r"Demo admin:\s+admin@example\.com: set a password.*?\n\s+(\S+/admin/set-password/\S+)", server.log()
    )
    assert match, server.log()[-3000:]
    await page.goto(match.group(1))
    await expect(page.get_by_role("heading", level=1, name="Set your password")).to_be_visible()
    assert serious_violations(await axe.run(page)) == []
    secret = totp.secret_from_text(await page.locator("#totp-secret").inner_text())
    await page.get_by_label("New password").fill(PASSWORD)
    await page.get_by_label("The same password again").fill(PASSWORD)
    await page.get_by_label("Code from the app").fill(totp.code_at(secret, time.time()))
    await page.get_by_role("button", name="Set password").click()
    await expect(page.get_by_role("status")).to_contain_text("Your password is set.")

    await page.get_by_label("Email").fill("admin@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1, name="Enter your code")).to_be_visible()
    await page.get_by_label("Code").fill(totp.code_at(secret, time.time() + 30))  # the next step: once only
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()

    nav = page.get_by_role("navigation", name="Admin")
    await expect(nav.get_by_role("link", name="GDPR requests")).to_have_count(0)
    await nav.get_by_role("link", name="Staff").click()
    newcomer = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    await page.get_by_label("Email").fill(newcomer)
    await page.get_by_label("Name", exact=True).fill("Nia Newcomer")
    await page.get_by_label("Role").select_option("agent")
    await page.get_by_role("button", name="Add and make a set-password link").click()
    await expect(page.get_by_role("status")).to_contain_text(newcomer)
    link = await page.locator("#new-link").inner_text()
    assert "/admin/set-password/" in link
    await expect(page.get_by_role("table", name="Staff members")).to_contain_text("Nia Newcomer")
    assert serious_violations(await axe.run(page)) == []

    admin_id = next(
        p["id"] for p in server.get("/v1/staff").json()["items"] if p["email"] == "admin@example.com"
    )
    events = staff_events(server, admin_id)
    assert {"staff.password_set", "staff.signed_in", "staff.created"} <= {e["type"] for e in events}
    assert next(e for e in events if e["type"] == "staff.password_set")["data"]["second_factor"] is True

    set_password(link)  # the newcomer signs in as an agent
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, server, newcomer)
    await expect(page.get_by_text("Signed in as")).to_contain_text("Nia Newcomer")


async def test_password_sign_in_with_a_totp_code(server, page):
    from axe_playwright_python.async_playwright import Axe

    staff_id, email, link = new_staff(server, "officer")
    secret = totp.new_secret()
    set_password(link, secret)

    await page.goto(server.url + "/admin")
    await expect(page).to_have_url(re.compile(r"/admin/login"))
    assert serious_violations(await Axe().run(page)) == []
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD + "-wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("the email or password is not right")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1, name="Enter your code")).to_be_visible()
    await page.get_by_label("Code").fill(totp.code_at(secret, time.time() + 30))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    await expect(page.get_by_text("Signed in as")).to_contain_text("(officer)")

    events = staff_events(server, staff_id)
    assert [e["type"] for e in events if e["type"].startswith("staff.sign")][:2] == [
        "staff.signed_in",
        "staff.sign_in_failed",
    ]  # newest first
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert staff_events(server, staff_id)[0]["type"] == "staff.signed_out"


async def test_single_sign_on_against_the_in_test_provider(server, oidc_provider, page):
    staff_id, email, _link = new_staff(server, "officer")  # known here; no password needed
    oidc_provider.users[email] = {}  # the provider vouches for them; no role claim: the role assigned here
    oidc_provider.signing_in = email  # what the person would type at the provider
    await page.goto(server.url + "/admin/login")
    await page.get_by_role("link", name="Sign in with single sign-on").click()
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    await expect(page.get_by_text("Signed in as")).to_contain_text("(officer)")
    signed = [e for e in staff_events(server, staff_id) if e["type"] == "staff.signed_in"]
    assert signed and signed[0]["data"]["method"] == "sso"


async def test_an_analyst_is_refused_a_personal_page(server, page):
    _staff_id, email, link = new_staff(server, "analyst")
    set_password(link)
    await sign_in(page, server, email)
    await expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Admin")
    await expect(nav.get_by_role("link", name="People")).to_have_count(0)
    response = await page.goto(server.url + f"/admin/subjects/{server.demo_subject_id}")
    assert response.status == 403
    await expect(page.get_by_role("heading", level=1, name="Not allowed")).to_be_visible()
    await expect(page.get_by_text("not open to the analyst role")).to_be_visible()
    await expect(page.get_by_text("ask an admin to change your role")).to_be_visible()  # says what to do
    assert "ann@example.com" not in await page.content()
    from axe_playwright_python.async_playwright import Axe

    for width in (1280, 320):  # the refusal is a page like the others: axe-clean, nothing scrolls sideways
        await page.set_viewport_size({"width": width, "height": 800})
        assert serious_violations(await Axe().run(page)) == [], width
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, width
    response = await page.goto(server.url + "/admin/dsr")
    assert response.status == 403
