"""``prefcenter serve`` as an operator runs it: real processes, real signals, real ports."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.live_server import _free_port, server_env
from tests.support.processes import is_running

PREFCENTER = str(Path(sys.executable).with_name("prefcenter"))


@contextlib.contextmanager
def serving(settings, *args: str) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """``prefcenter serve --port P *args`` with no PREFCENTER_PORT / PREFCENTER_PUBLIC_URL set."""
    port = _free_port()
    env = server_env(settings)
    log_path = settings.var_dir / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [PREFCENTER, "serve", "--port", str(port), *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"server exited early:\n{log_path.read_text(errors='replace')}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.1)
        yield server, url, log_path
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not is_running(pid)


def test_links_name_the_port_served_when_no_public_url_is_set(new_backend):
    settings = new_backend("sqlite")
    env = server_env(settings)
    made = subprocess.run(
        [PREFCENTER, "clients", "create", "--name", "crm", "--scopes", "preferences:write", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    client = json.loads(made.stdout)
    with serving(settings) as (_server, url, _log):
        token = httpx.post(
            url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        subject = httpx.post(url + "/v1/subjects", json={}, headers=headers)
        assert subject.status_code == 201, subject.text
        link = httpx.post(url + f"/v1/subjects/{subject.json()['id']}/manage-links", headers=headers)
        assert link.status_code == 201, link.text
        assert link.json()["url"].startswith(url + "/p/"), link.json()["url"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_the_job_worker_stops_with_the_server(new_backend, stop):
    settings = new_backend("sqlite")
    with serving(settings, "--with-worker") as (server, _url, log_path):
        found = re.search(r"Job worker:\s+pid (\d+)", log_path.read_text(errors="replace"))
        assert found, log_path.read_text(errors="replace")
        worker_pid = int(found.group(1))
        deadline = time.monotonic() + 60
        while '"worker started"' not in log_path.read_text(errors="replace"):
            assert is_running(worker_pid) and time.monotonic() < deadline, log_path.read_text(
                errors="replace"
            )
            time.sleep(0.1)
        server.send_signal(stop)
        server.wait(timeout=60)
        assert wait_until_gone(worker_pid, 30), f"the job worker outlived its server ({stop.name})"
    if stop is not signal.SIGKILL:
        assert "worker stopped" in log_path.read_text(errors="replace")  # a clean stop, not a kill


def test_serve_with_two_worker_processes(new_backend):
    """`serve --workers 2` runs two app processes (uvicorn needs the factory by name for that) and stops them."""
    settings = new_backend("sqlite")
    with serving(settings, "--workers", "2") as (server, url, log_path):
        children = psutil.Process(server.pid).children(recursive=True)
        assert len(children) >= 2, log_path.read_text(errors="replace")
        for _ in range(20):
            assert httpx.get(url + "/ready", timeout=5).status_code == 200
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert all(wait_until_gone(c.pid, 10) for c in children), log_path.read_text(errors="replace")
