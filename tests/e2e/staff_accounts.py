"""Staff for the browser tests: a person added through /v1/staff, their password set through their one-time
link (as the set-password page posts it), and signing in on the console's form."""

from __future__ import annotations

import time
import uuid

import httpx

from prefcenter.core import totp

PASSWORD = "correct horse battery staple"


def new_staff(server, role: str) -> tuple[str, str, str]:
    """A person added through /v1/staff (the demo client holds ``admin``): (id, email, set-password link)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    r = server.post("/v1/staff", json={"email": email, "name": f"E2E {role.title()}", "role": role})
    assert r.status_code == 201, r.text
    return r.json()["staff"]["id"], email, r.json()["password_link"]["url"]


def set_password(link: str, secret: bytes | None = None) -> None:
    """What the set-password page posts; with ``secret``, enrolling it with its current code."""
    data = {"password": PASSWORD, "password_again": PASSWORD}
    if secret is not None:
        data |= {"secret": totp.secret_text(secret), "code": totp.code_at(secret, time.time())}
    r = httpx.post(link, data=data)
    assert r.status_code == 303, r.text


async def sign_in(page, server, email: str) -> None:
    await page.goto(server.url + "/admin/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


def staff_events(server, staff_id: str) -> list[dict]:
    """Everything the audit log holds as done by this person (``actor=staff:<id>``), newest first."""
    r = server.get("/v1/audit/events", params={"actor": f"staff:{staff_id}", "limit": 200})
    assert r.status_code == 200, r.text
    return r.json()["items"]
