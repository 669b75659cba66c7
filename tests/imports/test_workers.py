"""Rows prepared in worker processes import exactly as rows prepared in this process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from prefcenter.imports import service
from prefcenter.imports.workers import start_pool
from prefcenter.store.models import Consent, Identity, Subject
from tests.support.live_server import server_env
from tests.support.processes import is_running


def _rows(tag: str) -> bytes:
    lines = []
    for i in range(300):
        j = i - 7 if i % 10 == 9 else i  # every tenth row updates an earlier subject
        row: dict = {"external_id": f"w-{tag}-{j}", "email": f"W{j}-{tag}@Example.com"}
        if i % 3 == 0:
            row["consents"] = [
                {"topic": "offers", "channels": ["email"], "granted_at": "2026-01-01T00:00:00Z"}
            ]
        if i % 50 == 7:
            row["email"] = "not-an-email"
        lines.append(json.dumps(row))
        if i % 100 == 42:
            lines.append("{broken json")
        if i % 100 == 60:
            lines.append(lines[-1])  # the same row twice
    return ("\n".join(lines) + "\n").encode()


async def _counts(api, tag: str) -> tuple[int, int, int]:
    async with api.ctx.db.read_session() as s:
        subjects = select(Subject.id).where(Subject.external_id.like(f"w-{tag}-%"))
        return tuple(
            [
                (await s.execute(select(func.count()).select_from(m).where(col.in_(subjects)))).scalar_one()
                for m, col in (
                    (Subject, Subject.id),
                    (Identity, Identity.subject_id),
                    (Consent, Consent.subject_id),
                )
            ]
        )


async def test_a_worker_pool_imports_like_this_process(api):
    here, there = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    inline = await service.import_file(
        api.ctx, io.BytesIO(_rows(here)), "ndjson", "w.ndjson", chunk=64, batch=25
    )
    pool = start_pool(2)
    try:
        pooled = await service.import_file(
            api.ctx, io.BytesIO(_rows(there)), "ndjson", "w.ndjson", chunk=64, batch=25, pool=pool
        )
    finally:
        pool.shutdown()
    assert (pooled.imported, pooled.skipped) == (inline.imported, inline.skipped) == (284, 13)
    assert pooled.rejected == inline.rejected and len(pooled.rejected) == 9
    assert await _counts(api, there) == await _counts(api, here)
    again = await service.import_file(
        api.ctx, io.BytesIO(_rows(there)), "ndjson", "w.ndjson", chunk=64, batch=25, pool=None
    )
    assert (again.imported, again.skipped) == (0, 297)  # (a row twice in the file is skipped twice)


def test_workers_exit_when_the_import_is_killed_outright(new_backend, tmp_path):
    """`kill -9` of `prefcenter import` must not leave its worker processes waiting for ever."""
    settings = new_backend("sqlite")
    source = tmp_path / "big.ndjson"
    source.write_text(
        "".join(
            json.dumps({"external_id": f"k-{i}", "email": f"k{i}@example.com"}) + "\n" for i in range(100_000)
        )
    )
    prefcenter = str(Path(sys.executable).with_name("prefcenter"))
    cli = subprocess.Popen(
        [prefcenter, "import", str(source), "--workers", "2"],
        env=server_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        children: list[int] = []
        while len(children) < 2 and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.1)
            children = _children(cli.pid)
        assert len(children) >= 2, "the import did not start its workers"
    finally:
        cli.kill()
        cli.wait()
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(is_running(pid) for pid in children), "import workers outlived the killed import"


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]
