"""The privacy center in Debian's Chromium against the real server and its job worker, with real SMTP
(aiosmtpd): an erasure filed on /privacy in German, confirmed with the code from the email, completed,
and told by email; an access request that ends on the download page."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
import zipfile

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import COMPANY, Server
from tests.support.live_server import live_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def privacy_server(new_backend, mailbox):
    """``prefcenter serve --demo --with-worker``: the worker runs the erasure and export jobs and the
    privacy center's sweep that sends the receipt and completion emails."""
    settings = new_backend("sqlite")
    _, smtp_port = mailbox
    with live_server(
        settings,
        "--demo",
        "--with-worker",
        PREFCENTER_SMTP_HOST="127.0.0.1",
        PREFCENTER_SMTP_PORT=str(smtp_port),
        PREFCENTER_COMPANY_NAME=COMPANY,
        PREFCENTER_WORKER_POLL="0.2",
    ) as srv:
        creds = json.loads((settings.var_dir / "demo-credentials.json").read_text())
        yield Server(
            url=srv.url,
            var=settings.var_dir,
            process=srv.process,
            log_path=srv.log_path,
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            demo_subject_id=creds["demo_subject_id"],
        )


def _mail(box, to: str, subject_has: str, timeout: float = 30):
    """The first email to ``to`` whose subject holds ``subject_has`` (waiting for it to arrive)."""
    deadline = time.monotonic() + timeout
    with box.cond:
        while True:
            for m in box.messages:
                if to in str(m["To"]) and subject_has in str(m["Subject"]):
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no email '{subject_has}' to {to}: {[str(m['Subject']) for m in box.messages]}"
                )
            box.cond.wait(left)


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def _file_and_confirm(page, box, email: str, type: str, code_subject: str, send: str, confirm: str):
    await page.locator(f"input[value={type}]").check()
    await page.locator("#pc-identity").fill(email)
    await page.get_by_role("button", name=send).click()
    code = re.search(r"\b(\d{6})\b", _text(_mail(box, email, code_subject))).group(1)
    await page.locator("#pc-code").fill(code)
    await page.get_by_role("button", name=confirm).click()


async def test_erasure_filed_in_german_is_confirmed_completed_and_told(privacy_server, mailbox, browser):
    box, _ = mailbox
    server = privacy_server
    email = f"kundin-{uuid.uuid4().hex[:8]}@example.com"
    sid = server.new_subject(email=email)
    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(server.url + "/privacy")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.locator("h1")).to_contain_text("Datenschutz-Center")
    await _file_and_confirm(
        page, box, email, "erasure", "Bestätigungscode", "Code senden", "Anfrage bestätigen"
    )
    await expect(page.get_by_role("status")).to_contain_text("Ihre Anfrage ist bestätigt")

    # the officer's view: the request is a self-service DSR and the worker carries it out
    requests = server.get("/v1/dsr-requests", params={"subject_id": sid}).json()["items"]
    assert [(r["type"], r["source"]) for r in requests] == [("erasure", "self_service")]
    deadline = time.monotonic() + 30
    while server.get(f"/v1/dsr-requests/{requests[0]['id']}").json()["status"] != "completed":
        assert time.monotonic() < deadline, "the erasure did not complete"
        await asyncio.sleep(0.2)

    assert "erhalten" in str(_mail(box, email, "erhalten")["Subject"])
    done = _mail(box, email, "erledigt")
    assert COMPANY in str(done["Subject"]) and "gelöscht" in _text(done)
    assert not errors, errors
    await context.close()


async def test_an_access_request_ends_on_the_download_page(privacy_server, mailbox, page):
    box, _ = mailbox
    server = privacy_server
    email = f"access-{uuid.uuid4().hex[:8]}@example.com"
    server.new_subject(email=email)
    await page.goto(server.url + "/privacy?lang=en")
    await _file_and_confirm(
        page, box, email, "access", "confirmation code", "Send me a code", "Confirm my request"
    )
    await expect(page.get_by_role("status")).to_contain_text("Your request is confirmed")

    link = re.search(r"(http://127\.0\.0\.1:\d+/privacy/downloads/\S+)", _text(_mail(box, email, "is done")))
    await page.goto(link.group(1))
    await expect(page.locator("h1")).to_contain_text("your data")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download my data").click()
    download = await download_info.value
    archive = zipfile.ZipFile(await download.path())
    letter = archive.read("README.md").decode()
    assert letter.startswith(f"# Your data at {COMPANY}") and "Why we hold it" in letter
    assert json.loads(archive.read("export.json"))["identities"][0]["value"] == email

    await page.goto(link.group(1))  # used once: a page in the person's words, never problem+json
    await expect(page.locator("h1")).to_contain_text("can no longer be used")
