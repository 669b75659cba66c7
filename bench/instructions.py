"""Instructions per request of the everyday write path in the server process, counted by valgrind's callgrind:
a steadier figure than CPU time on a noisy host (the same tree's CPU per request moved 30-50 % between runs
there; these counts move well under 1 %). The app is called straight through ASGI (no HTTP client in the
count), and callgrind counts only the measured loop (``callgrind_control -i on/off`` around it).

    apt-get install -y valgrind
    .venv/bin/python -m bench.instructions                        # SQLite
    .venv/bin/python -m bench.instructions --database-url postgresql+asyncpg://user@host/empty_db

Cases as in ``bench.write_cpu``: ``bare`` (GET /health), ``save`` (PATCH 2 preferences whose status flips
every time), ``grant/withdraw`` (grant ``offers`` by email, then withdraw it; the figure is per request).
The database server's own work is not counted (``bench.write_cpu`` reports its backends' CPU). A benchmark
prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench import check_cpu
from bench.in_process import client_bearer, create_people, migrated_settings
from bench.write_cpu import GRANT, SAVE_ITEMS

CASES = ("bare", "save", "grant/withdraw")
PEOPLE = 50
WARM_UP = 30


async def call(app, method: str, path: str, headers: dict[str, str], payload: object) -> tuple[int, bytes]:
    """One request straight into the ASGI app (``bench.check_cpu.call``) with a JSON body; its answer."""
    body = b"" if payload is None else json.dumps(payload).encode()
    sent = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    sent += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return await check_cpu.call(app, method, path, headers=sent, body_parts=(body,))


async def measure(args) -> None:
    from prefcenter.app import create_app
    from prefcenter.demo import load_demo

    var = Path(tempfile.mkdtemp(prefix="prefcenter-bench-ir-"))
    settings = migrated_settings(var, args.database_url, rate_limit=False)
    app = create_app(settings)
    ctx = app.state.ctx
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.local"
    ) as client:
        await load_demo(ctx)
        auth = await client_bearer(ctx, client, ["preferences:read", "preferences:write"])
        ids = await create_people(client, auth, PEOPLE)
    n = 0

    async def bare() -> None:
        await call(app, "GET", "/health", {}, None)

    async def save() -> None:
        nonlocal n
        n += 1
        status = "opted_out" if (n // PEOPLE) % 2 == 0 else "opted_in"
        items = [{"channel": c, "topic": t, "status": status} for c, t in SAVE_ITEMS]
        answer = await call(
            app,
            "PATCH",
            f"/v1/subjects/{ids[n % PEOPLE]}/preferences",
            auth,
            {"touchpoint": "account", "items": items},
        )
        assert answer[0] == 200, answer

    async def grant_withdraw() -> None:
        nonlocal n
        n += 1
        subject = ids[n % PEOPLE]
        status, body = await call(app, "POST", f"/v1/subjects/{subject}/consents", auth, GRANT)
        assert status == 201, body
        consent = json.loads(body)["id"]
        status, body = await call(
            app,
            "POST",
            f"/v1/subjects/{subject}/consents/{consent}/withdraw",
            auth,
            {"touchpoint": "account"},
        )
        assert status == 200, body

    run = {"bare": bare, "save": save, "grant/withdraw": grant_withdraw}[args.case]
    for _ in range(WARM_UP):
        await run()
    _count_instructions(True)
    for _ in range(args.requests):
        await run()
    _count_instructions(False)
    await ctx.db.dispose()


def _count_instructions(on: bool) -> None:
    """Switch callgrind's counting of this process on or off (it waits: nothing else runs meanwhile)."""
    command = ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)


def count(case: str, args) -> float:
    """Instructions per request of ``case``: this module once more, under callgrind, measuring only."""
    out = Path(tempfile.mkdtemp(prefix="prefcenter-bench-ir-")) / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "bench.instructions",
        "--measure",
        case,
        "--requests",
        str(args.requests),
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
    assert totals is not None, "callgrind wrote no totals"
    per_request = 2 if case == "grant/withdraw" else 1
    return int(totals.group(1)) / args.requests / per_request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary directory)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests (or pairs) per case")
    parser.add_argument("--only", nargs="*", choices=CASES, default=list(CASES))
    parser.add_argument("--measure", choices=CASES, help=argparse.SUPPRESS)  # (the run under callgrind)
    args = parser.parse_args(argv)
    if args.measure:
        args.case = args.measure
        asyncio.run(measure(args))
        return 0
    if shutil.which("valgrind") is None:
        print("bench.instructions needs valgrind (apt-get install -y valgrind)", file=sys.stderr)
        return 2
    if args.database_url and len(args.only) > 1:
        print("with --database-url, one case per run (each needs an empty database)", file=sys.stderr)
        return 2
    for case in args.only:
        print(f"{case}: {count(case, args):,.0f} instructions per request", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
