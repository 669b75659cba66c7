"""Staff sessions end on the server at sign-out, only the ``__Host-`` cookie counts over HTTPS, and failed
sign-ins are throttled per (email, address) and per address like /oauth/token."""

from __future__ import annotations

import httpx

from tests.admin.support import BASE, csrf_of
from tests.staff.support import PASSWORD, add_with_password


def browser_from(api, address: str, base: str = BASE) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, client=(address, 50000)), base_url=base
    )


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/admin/login", data={"email": email, "password": password})


async def test_sign_out_ends_the_session_on_the_server(api):
    _staff_id, email = await add_with_password(api.ctx, "officer")
    async with browser_from(api, "192.0.2.10") as browser:
        assert (await sign_in(browser, email, PASSWORD)).status_code == 303
        stolen = browser.cookies["prefcenter_staff"]  # a copy kept elsewhere (another tab, a thief)
        r = await browser.post("/admin/logout", data={"csrf": csrf_of((await browser.get("/admin")).text)})
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?signed_out=1"
    async with browser_from(api, "192.0.2.10") as replay:
        replay.cookies.set("prefcenter_staff", stolen, domain="testserver.local", path="/admin")
        r = await replay.get("/admin")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        assert (await replay.post("/admin/logout", data={})).status_code == 303  # no session to act with
    # signing in again makes a new session that works
    async with browser_from(api, "192.0.2.10") as browser:
        assert (await sign_in(browser, email, PASSWORD)).status_code == 303
        assert browser.cookies["prefcenter_staff"] != stolen
        assert (await browser.get("/admin")).status_code == 200


async def test_over_https_only_the_host_prefixed_cookie_is_a_session(api):
    _staff_id, email = await add_with_password(api.ctx, "officer")
    async with browser_from(api, "192.0.2.20", "https://testserver.local") as browser:
        assert (await sign_in(browser, email, PASSWORD)).status_code == 303
        token = browser.cookies["__Host-prefcenter_staff"]
        assert (await browser.get("/admin")).status_code == 200
    async with browser_from(api, "192.0.2.20", "https://testserver.local") as planted:
        # the same valid token under the plain name (settable by a sibling domain or over plain HTTP)
        planted.cookies.set("prefcenter_staff", token, domain="testserver.local", path="/")
        r = await planted.get("/admin")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"


async def test_failed_sign_ins_are_throttled_per_email_and_address(api):
    _staff_id, email = await add_with_password(api.ctx, "admin")
    limit = api.settings.sign_in.max_failures
    async with browser_from(api, "192.0.2.30") as attacker:
        codes = [(await sign_in(attacker, email, f"wrong-{n}")).status_code for n in range(limit + 5)]
        assert codes == [401] * limit + [429] * 5
        r = await sign_in(attacker, email, PASSWORD)
        assert r.status_code == 429 and r.headers["content-type"].startswith("text/html")
        assert "Too many failed sign-ins" in r.text and "set-cookie" not in r.headers
        assert 0 < int(r.headers["retry-after"]) <= api.settings.sign_in.window_seconds
    async with browser_from(api, "192.0.2.31") as officer:  # the officer at their own desk is not locked out
        assert (await sign_in(officer, email, PASSWORD)).status_code == 303
        assert (await officer.get("/admin")).status_code == 200
