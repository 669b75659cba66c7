"""Long NDJSON streams and large batches answered by check worker processes: the same bytes as in the server process,
in order, also when a worker dies mid-stream, and through the real endpoint."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace

from prefcenter.checks import cli as check_cli
from prefcenter.checks import ndjson
from prefcenter.checks.service import CheckRun
from prefcenter.checks.worker_pool import CheckWorkers, check_workers, close_check_workers
from prefcenter.settings import CheckSettings
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import utcnow
from tests.checks.helpers import subject_with
from tests.conftest import close_api, open_api
from tests.support.processes import is_running

CHUNK = 40  # lines per chunk in these tests (the server uses ndjson.STREAM_CHUNK)


def _workers(api) -> CheckWorkers:
    """A pool for the api's database: SQLite through sqlite3, PostgreSQL through asyncpg."""
    database = api.settings.database
    path = database.sqlite_path
    return CheckWorkers(database.url, str(path) if path else None, api.ctx.keys.pepper, 2)


async def _mixed_lines(api, n: int) -> list[bytes]:
    """Allowed, denied, erased-free unknown, malformed, per-item questions, blank lines, in a repeating mix."""
    granted = await subject_with(api, consents=[("offers", ["email"])])
    opted_out = await subject_with(api, prefs=[("email", "offers", "opted_out")])
    dnc = await subject_with(api, do_not_contact=True)
    kinds = [
        json.dumps(granted["id"]),
        json.dumps(f"email:{opted_out['email']}"),
        json.dumps({"subject": dnc["external_id"]}),
        json.dumps({"subject": f"email:{granted['email']}", "channel": "sms", "topic": "billing"}),
        json.dumps(str(uuid.uuid4())),
        "{not json",
        json.dumps({"subject": "x", "bogus": 1}),
        json.dumps("email:not-an-address"),
        "",
    ]
    return [kinds[i % len(kinds)].encode() for i in range(n)]


async def _answer(run, lines: list[bytes], workers) -> bytes:
    async def body():
        data = b"\n".join(lines) + b"\n"
        for start in range(0, len(data), 997):  # chunk boundaries inside lines
            yield data[start : start + 997]

    return b"".join([part async for part in ndjson.decide_stream(run, body(), "email", "offers", workers)])


async def test_worker_processes_answer_exactly_what_the_server_process_answers(api, monkeypatch):
    api = api
    monkeypatch.setattr(ndjson, "STREAM_CHUNK", CHUNK)
    lines = await _mixed_lines(api, 7 * CHUNK + 13)
    run = CheckRun(projection_reader(api.ctx.db), api.ctx.keys.pepper, utcnow())
    workers = _workers(api)
    try:
        in_process = await _answer(run, lines, None)
        fanned_out = await _answer(run, lines, workers)
        assert workers._pool is not None  # the long stream did use the worker processes
    finally:
        workers.close()
    assert fanned_out == in_process
    out = [json.loads(line) for line in fanned_out.splitlines()]
    non_blank = [line for line in lines if line.strip()]
    assert [o["index"] for o in out] == list(range(len(non_blank)))
    assert {o.get("reason") for o in out} >= {
        "consent",
        "topic_opted_out",
        "do_not_contact",
        "unknown_subject",
    }


async def test_a_short_stream_never_starts_the_worker_processes(api, monkeypatch):
    api = api
    monkeypatch.setattr(ndjson, "STREAM_CHUNK", CHUNK)
    lines = await _mixed_lines(api, CHUNK - 1)
    run = CheckRun(projection_reader(api.ctx.db), api.ctx.keys.pepper, utcnow())
    workers = _workers(api)
    try:
        assert await _answer(run, lines, workers) == await _answer(run, lines, None)
        assert workers._pool is None
    finally:
        workers.close()


async def test_a_worker_killed_mid_stream_leaves_the_answer_complete_and_in_order(api, monkeypatch):
    api = api
    monkeypatch.setattr(ndjson, "STREAM_CHUNK", CHUNK)
    lines = await _mixed_lines(api, 12 * CHUNK)
    run = CheckRun(projection_reader(api.ctx.db), api.ctx.keys.pepper, utcnow())
    expected = await _answer(run, lines, None)
    workers = _workers(api)
    original = workers.answer
    answered = 0

    async def answer_then_kill(*args):
        nonlocal answered
        result = await original(*args)
        answered += 1
        if answered == 2 and workers._pool is not None:
            pool = workers._pool
            os.kill(next(iter(pool._processes)), signal.SIGKILL)
            for _ in range(500):  # until the executor has noticed (its manager thread), at most 5 s
                if pool._broken:
                    break
                await asyncio.sleep(0.01)
        return result

    monkeypatch.setattr(workers, "answer", answer_then_kill)
    try:
        assert await _answer(run, lines, workers) == expected
        assert workers._broken and workers._pool is None
    finally:
        workers.close()


async def test_the_stream_endpoint_uses_the_worker_processes(api, monkeypatch):
    monkeypatch.setattr(ndjson, "STREAM_CHUNK", CHUNK)
    lines = await _mixed_lines(api, 3 * CHUNK)
    api = await open_api(replace(api.settings, checks=CheckSettings(workers=2)))
    try:
        r = await api.client.post(
            "/v1/consent-checks/stream?channel=email&topic=offers",
            content=b"\n".join(lines),
            headers={**await api.headers("consent:check"), "content-type": "application/x-ndjson"},
        )
        assert r.status_code == 200, r.text
        workers = check_workers(api.ctx)
        assert workers is not None and workers._pool is not None
        run = CheckRun(projection_reader(api.ctx.db), api.ctx.keys.pepper, utcnow())
        assert r.content == await _answer(run, lines, None)
    finally:
        close_check_workers(api.ctx)
        await close_api(api)


async def test_a_large_batch_is_answered_by_the_worker_processes_exactly_as_in_process(api):
    granted = await subject_with(api, consents=[("offers", ["email"])])
    opted_out = await subject_with(api, prefs=[("email", "offers", "opted_out")])
    kinds = [granted["id"], f"email:{opted_out['email']}", str(uuid.uuid4()), "email:not-an-address"]
    body = {"channel": "email", "topic": "offers", "subjects": [kinds[i % 4] for i in range(2_500)]}
    expected = await api.client.post(
        "/v1/consent-checks", json=body, headers=await api.headers("consent:check")
    )
    api = await open_api(replace(api.settings, checks=CheckSettings(workers=2)))
    try:
        r = await api.client.post("/v1/consent-checks", json=body, headers=await api.headers("consent:check"))
        assert r.status_code == 200, r.text
        workers = check_workers(api.ctx)
        assert workers is not None and workers._pool is not None
    finally:
        close_check_workers(api.ctx)
        await close_api(api)
    got, want = r.json(), expected.json()
    assert got.pop("checked_at") and want.pop("checked_at")
    assert got == want
    assert (got["allowed"], got["errors"]) == (625, 625)


async def test_cli_check_with_worker_processes_writes_the_same_rows_in_order(api, monkeypatch):
    monkeypatch.setattr(check_cli, "CHUNK", 50)
    granted = await subject_with(api, consents=[("offers", ["email"])])
    kinds = [f"email:{granted['email']}", str(uuid.uuid4()), "email:bad", granted["id"]]
    csv_text = "subject\n" + "".join(f"{kinds[i % 4]}\n" for i in range(333))
    expected = io.StringIO()
    assert await check_cli.run_check(api.ctx, io.StringIO(csv_text), expected, "email", "offers") == (
        333,
        167,
    )
    api = await open_api(replace(api.settings, checks=CheckSettings(workers=2)))
    try:
        started = []
        monkeypatch.setattr(CheckWorkers, "_started", _recording(CheckWorkers._started, started))
        sink = io.StringIO()
        assert await check_cli.run_check(api.ctx, io.StringIO(csv_text), sink, "email", "offers") == (
            333,
            167,
        )
        assert started, "the CLI did not use the worker processes"
    finally:
        await close_api(api)
    assert sink.getvalue() == expected.getvalue()


def _recording(method, calls: list):
    def wrapper(self):
        calls.append(self)
        return method(self)

    return wrapper


_ORPHAN_SCRIPT = """
import asyncio, sys
from datetime import UTC, datetime
from prefcenter.store.projections_sqlite import SqliteProjectionReader
from prefcenter.checks.service import CheckRun
from prefcenter.checks.worker_pool import CheckWorkers

async def main():
    workers = CheckWorkers("sqlite+aiosqlite:///" + sys.argv[1], sys.argv[1], b"p" * 32, 2)
    run = CheckRun(SqliteProjectionReader(sys.argv[1]), b"p" * 32, datetime.now(UTC))
    await asyncio.gather(*(workers.answer(run, b'"email:a@example.com"', 0, "email", "offers") for _ in range(4)))
    print(" ".join(str(pid) for pid in workers._pool._processes), flush=True)
    await asyncio.sleep(60)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_workers_exit_when_the_server_is_killed_outright(tmp_path, new_backend):
    db = new_backend("sqlite").database.sqlite_path
    script = tmp_path / "server.py"
    script.write_text(_ORPHAN_SCRIPT)
    server = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) == 2 and all(is_running(p) for p in pids)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while any(is_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(is_running(p) for p in pids), "check workers outlived their killed server"
