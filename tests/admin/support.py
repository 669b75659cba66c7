"""Sign in to the admin pages through the real app, with a cookie jar of one's own per officer."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx

BASE = "http://testserver.local"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


class Officer:
    def __init__(self, client: httpx.AsyncClient, client_id: str) -> None:
        self.client = client
        self.client_id = client_id

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


@asynccontextmanager
async def signed_in(api, *scopes: str):
    client_id, secret = await api.new_client(*scopes)
    async with browser_client(api) as client:
        r = await client.post("/admin/login", data={"client_id": client_id, "client_secret": secret})
        assert r.status_code == 303, r.text
        yield Officer(client, client_id)


def request_id_from(response: httpx.Response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    match = re.match(r"/admin/dsr/([0-9a-f-]{36})\?done=", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)
