"""Sign in to the console through the real app as a staff member of a role, with a cookie jar of one's own."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx

from tests.staff.support import PASSWORD, add_with_password

BASE = "http://testserver.local"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


class StaffBrowser:
    """A signed-in person's browser: their cookie jar, their staff id and email."""

    def __init__(self, client: httpx.AsyncClient, staff_id: str, email: str) -> None:
        self.client = client
        self.staff_id = staff_id
        self.email = email

    async def page(self, path: str, status: int = 200) -> str:
        r = await self.client.get(path)
        assert r.status_code == status, (r.status_code, r.text[:2000])
        return r.text

    async def submit(self, page_path: str, action: str, **fields: str) -> httpx.Response:
        """POST a form the way a browser does: with the CSRF token from the page it came from."""
        csrf = csrf_of(await self.page(page_path))
        return await self.client.post(action, data={"csrf": csrf, **fields})


def browser_client(api) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url=BASE)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **fields: str):
    return await client.post("/admin/login", data={"email": email, "password": password, **fields})


@asynccontextmanager
async def signed_in(api, role: str = "officer"):
    """A new staff member of ``role`` with a password (no second factor), signed in."""
    staff_id, email = await add_with_password(api.ctx, role)
    async with browser_client(api) as client:
        r = await sign_in(client, email)
        assert r.status_code == 303, r.text
        yield StaffBrowser(client, staff_id, email)


def request_id_from(response: httpx.Response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    match = re.match(r"/admin/dsr/([0-9a-f-]{36})\?done=", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)
