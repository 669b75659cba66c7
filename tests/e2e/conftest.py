"""End-to-end fixtures: the real ``prefcenter serve`` process, a real SMTP server on loopback
(aiosmtpd) and Debian's Chromium driven by Python playwright (never ``playwright install``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import live_server, server_env
from tests.support.oidc_provider import running_provider

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COMPANY = "Acme Test Shop"
SSO_CLIENT_ID = "prefcenter-e2e"
SSO_CLIENT_SECRET = "e2e-provider-secret"


def chromium_path() -> str:
    """The system Chromium; fail loudly when PREFCENTER_REQUIRE_BROWSER=1 (make test), skip otherwise."""
    path = (
        os.environ.get("PREFCENTER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if path:
        return path
    message = (
        "Chromium is not installed: the end-to-end tests drive Debian's chromium "
        "(apt-get install -y chromium, or run `make system-deps`)"
    )
    if os.environ.get("PREFCENTER_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """Messages the real SMTP server on loopback received."""

    messages: list[EmailMessage] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 10) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.messages:
                    if to in str(m["To"]):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no email to {to} arrived; got {[str(m['To']) for m in self.messages]}"
                    )
                self.cond.wait(left)


@pytest.fixture(scope="session")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@dataclass
class PageHost:
    """Other sites' pages, on a real loopback HTTP server reached as shop.test and evil.test.

    Chromium maps both names to 127.0.0.1 (--host-resolver-rules), so embedding the widget from them
    is a real cross-origin request in the same (loopback) address space.
    """

    port: int
    pages: dict[str, str] = field(default_factory=dict)

    @property
    def shop_origin(self) -> str:  # configured in PREFCENTER_CORS_ORIGINS
        return f"http://shop.test:{self.port}"

    @property
    def evil_origin(self) -> str:  # not configured
        return f"http://evil.test:{self.port}"


@pytest.fixture(scope="session")
def page_host():
    host = PageHost(port=_free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = host.pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", host.port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield host
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Server:
    url: str
    var: Path
    process: subprocess.Popen
    log_path: Path
    client_id: str
    client_secret: str
    demo_subject_id: str
    env: dict[str, str] = field(default_factory=dict)  # the server's environment, for a CLI run beside it
    _token: str | None = None

    def headers(self) -> dict[str, str]:
        if self._token is None:
            r = httpx.post(
                self.url + "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
            r.raise_for_status()
            self._token = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, headers={**self.headers(), **kw.pop("headers", {})}, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return httpx.post(self.url + path, headers={**self.headers(), **kw.pop("headers", {})}, **kw)

    def patch(self, path: str, **kw) -> httpx.Response:
        return httpx.patch(self.url + path, headers={**self.headers(), **kw.pop("headers", {})}, **kw)

    def run_worker(self) -> None:
        """``prefcenter worker --drain`` on the server's database: queued jobs and sweeps, until idle."""
        prefcenter = str(Path(sys.executable).with_name("prefcenter"))
        done = subprocess.run(
            [prefcenter, "worker", "--drain"], env=self.env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def new_subject(self, email: str | None = None) -> str:
        body = {"identities": [{"kind": "email", "value": email}]} if email else {}
        r = self.post("/v1/subjects", json=body)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def events(self, subject_id: str) -> list[dict]:
        r = self.get(f"/v1/subjects/{subject_id}/events", params={"limit": 200})
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def profile(self, subject_id: str) -> dict:
        r = self.get(f"/v1/subjects/{subject_id}/profile")
        assert r.status_code == 200, r.text
        return r.json()

    def manage_url(self, subject_id: str) -> str:
        r = self.post(f"/v1/subjects/{subject_id}/manage-links")
        assert r.status_code == 201, r.text
        return r.json()["url"]

    def widget_token(self, subject_id: str, origin: str, **body) -> httpx.Response:
        return self.post(f"/v1/subjects/{subject_id}/widget-tokens", json={"origin": origin, **body})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def oidc_provider():
    """The in-test OpenID Connect provider (tests/support/oidc_provider.py) the server's single sign-on uses;
    its people are added by the tests (``users``), its redirect URI set once the server's port is known."""
    with running_provider(SSO_CLIENT_ID, SSO_CLIENT_SECRET, "http://127.0.0.1/unset", {}) as provider:
        yield provider


@pytest.fixture(scope="session")
def server(new_backend, mailbox, page_host, oidc_provider):
    """``prefcenter serve --demo`` on a fresh, migrated SQLite database and a free port, with single sign-on
    through the in-test provider."""
    settings = new_backend("sqlite")
    _, smtp_port = mailbox
    with live_server(
        settings,
        "--demo",
        PREFCENTER_CORS_ORIGINS=page_host.shop_origin,
        PREFCENTER_SMTP_HOST="127.0.0.1",
        PREFCENTER_SMTP_PORT=str(smtp_port),
        PREFCENTER_COMPANY_NAME=COMPANY,
        PREFCENTER_OIDC_ISSUER=oidc_provider.issuer,
        PREFCENTER_OIDC_CLIENT_ID=SSO_CLIENT_ID,
        PREFCENTER_OIDC_CLIENT_SECRET=SSO_CLIENT_SECRET,
        PREFCENTER_OIDC_ROLE_CLAIM="groups",
    ) as srv:
        oidc_provider.client.redirect_uri = srv.url + "/admin/sso/callback"
        creds = json.loads((settings.var_dir / "demo-credentials.json").read_text())
        yield Server(
            url=srv.url,
            var=settings.var_dir,
            process=srv.process,
            log_path=srv.log_path,
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            demo_subject_id=creds["demo_subject_id"],
            env=server_env(settings),
        )


@pytest.fixture(scope="session")
async def browser():
    executable = chromium_path()
    from playwright.async_api import async_playwright

    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP shop.test 127.0.0.1, MAP evil.test 127.0.0.1"]
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=executable, args=args, headless=True)
        yield b
        await b.close()


@pytest.fixture
async def context(browser):
    ctx = await browser.new_context()
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context):
    p = await context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    assert not errors, f"JavaScript errors on the page: {errors}"
