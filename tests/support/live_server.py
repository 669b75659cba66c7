"""A real ``prefcenter serve`` process on a free port, for tests that talk to it over the network."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from prefcenter.settings import Settings


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env.update(
        PREFCENTER_VAR_DIR=str(settings.var_dir),
        PREFCENTER_DATABASE_URL=settings.database.url,
        PREFCENTER_MASTER_KEY_FILE=str(settings.keys.master_key_file),
        PREFCENTER_PEPPER_FILE=str(settings.keys.pepper_file),
        PREFCENTER_SIGNING_KEY_FILE=str(settings.keys.signing_key_file),
        PREFCENTER_LOG_FORMAT="json",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def live_server(settings: Settings, *args: str, **extra_env: str) -> Iterator[LiveServer]:
    port = _free_port()
    env = server_env(
        settings, PREFCENTER_PORT=str(port), PREFCENTER_PUBLIC_URL=f"http://127.0.0.1:{port}", **extra_env
    )
    log_path = settings.var_dir / f"server-{port}.log"
    prefcenter = str(Path(sys.executable).with_name("prefcenter"))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [prefcenter, "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"server did not become ready:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield LiveServer(url=url, env=env, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
