"""CPU time per consent decision, part by part, through the app in one process (no sockets, no load generator).

    PYTHONPATH=$TREE/src:$TREE .venv/bin/python bench/check_cpu.py --data /tmp/check-cpu [--subjects 50000]

Throughput on a shared machine measures the neighbours; CPU time per operation (``time.process_time``, best
of ``--repeat``) does not. The app is driven through its ASGI callable directly. Parts:

- ``single``: ``GET /v1/consent-checks`` (the lean path), per request; ``bare``: ``GET /health``;
- ``batch``: ``POST /v1/consent-checks`` with 10,000 subjects, check workers off (``PREFCENTER_CHECK_WORKERS=0``)
  and on (2 processes; the workers' CPU is read with psutil and added), per decision;
- ``stream``: ``POST /v1/consent-checks/stream`` with every seeded subject, workers off and on, per decision;
- ``sync``: ``CheckRun.decide_items_sync`` over 10,000 items, what a worker runs for its chunks;
- ``worker_batch`` / ``worker_stream``: a worker's own entry points (``_decide``: MessagePack items in and
  results out; ``_answer``: NDJSON lines in and out), called in this process; ``server_batch``: the server's
  share of a fanned-out batch (items encoded, results decoded).

The data set is seeded once per ``--data`` directory with ``bench.checks.populate`` (the throughput bench's
own seeding) into a database migrated by the tree under test. Works on trees from f4f6053 on (where the
readers lived in ``checks/read_path.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil

from bench.checks import CHANNEL, PREFCENTER, TOPIC, email_of, populate

BATCH = 10_000


def seeded(data: Path, subjects: int) -> tuple[dict, dict]:
    """The server environment and demo credentials for ``data`` (seeded on first use)."""
    env = {
        "PREFCENTER_VAR_DIR": str(data / "var"),
        "PREFCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'var' / 'prefcenter.db'}",
        "PREFCENTER_MASTER_KEY_FILE": str(data / "keys" / "master.key"),
        "PREFCENTER_PEPPER_FILE": str(data / "keys" / "pepper.key"),
        "PREFCENTER_SIGNING_KEY_FILE": str(data / "keys" / "signing.key"),
        "PREFCENTER_RATE_LIMIT_RPS": "0",
        "PREFCENTER_LOG_LEVEL": "WARNING",
        "PREFCENTER_LOG_FORMAT": "json",
    }
    creds_file = data / "creds.json"
    if not creds_file.exists():
        data.mkdir(parents=True, exist_ok=True)
        full = {**os.environ, **env}
        run = [PREFCENTER, "keys", "generate", "--dir", str(data / "keys")]
        subprocess.run(run, check=True, capture_output=True)
        subprocess.run([PREFCENTER, "db", "upgrade"], env=full, check=True, capture_output=True)
        demo = subprocess.run([PREFCENTER, "demo"], env=full, check=True, capture_output=True).stdout
        pepper = base64.b64decode((data / "keys" / "pepper.key").read_text())
        master = base64.b64decode((data / "keys" / "master.key").read_text())
        populate("sqlite", env["PREFCENTER_DATABASE_URL"], subjects, pepper, master)
        creds_file.write_bytes(demo)
    return env, json.loads(creds_file.read_text())


async def call(
    app, method: str, path: str, query: str = "", headers=(), body_parts=(b"",)
) -> tuple[int, bytes]:
    """One request through the ASGI callable; ``body_parts`` arrive as separate ``http.request`` messages."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench.local"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("bench.local", 80),
        "state": {},
    }
    parts = list(body_parts)
    last = len(parts) - 1
    position = 0
    status = 0
    out: list[bytes] = []

    async def receive():
        nonlocal position
        if position > last:
            await asyncio.sleep(3600)  # the disconnect never comes
        message = {"type": "http.request", "body": parts[position], "more_body": position < last}
        position += 1
        return message

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            out.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(out)


def workers_cpu() -> float:
    return sum(sum(p.cpu_times()[:2]) for p in psutil.Process().children(recursive=True))


async def best(label: str, per: int, repeat: int, once, *, children: bool = False) -> float:
    """Best CPU microseconds per unit (``per`` units each call) of ``repeat`` calls of ``once``."""
    await once()  # warm-up (and starts the worker processes)
    figures = []
    for _ in range(repeat):
        cpu0, kids0 = time.process_time(), workers_cpu() if children else 0.0
        await once()
        cpu = time.process_time() - cpu0 + (workers_cpu() - kids0 if children else 0.0)
        figures.append(cpu / per * 1e6)
    print(f"{label:<24} {min(figures):8.2f} us  (runs: {', '.join(f'{f:.2f}' for f in figures)})", flush=True)
    return min(figures)


def _modules():
    """The pieces this harness calls, wherever the tree keeps them."""
    from prefcenter.checks import service, worker_pool

    try:
        from prefcenter.store.projections import projection_reader
        from prefcenter.store.projections_sqlite import SqliteProjectionReader
    except ImportError:  # f4f6053
        from prefcenter.checks.read_path import SqliteProjectionReader

        projection_reader = service.projection_reader
    return service, worker_pool, projection_reader, SqliteProjectionReader


async def measure(args) -> dict:
    env, creds = seeded(Path(args.data), args.subjects)
    os.environ.update(env)
    os.environ["PREFCENTER_CHECK_WORKERS"] = str(args.workers)
    from prefcenter.app import create_app
    from prefcenter.store.unit_of_work import utcnow

    service, worker_pool, projection_reader, sqlite_reader = _modules()
    app = create_app()
    ctx = app.state.ctx
    form = urlencode({"grant_type": "client_credentials", **creds}).encode()
    form_type = (b"content-type", b"application/x-www-form-urlencoded")
    _, token_body = await call(app, "POST", "/oauth/token", headers=[form_type], body_parts=[form])
    bearer = (b"authorization", b"Bearer " + json.loads(token_body)["access_token"].encode())
    json_type = (b"content-type", b"application/json")
    n, repeat = args.subjects, args.repeat
    figures: dict[str, float] = {}

    async def bare():
        for _ in range(2000):
            await call(app, "GET", "/health")

    singles = [
        urlencode({"channel": CHANNEL, "topic": TOPIC, "subject": f"email:{email_of(i * 7919 % n)}"})
        for i in range(2000)
    ]

    async def single():
        for query in singles:
            status, _ = await call(app, "GET", "/v1/consent-checks", query, [bearer])
            assert status == 200, status

    batch_body = json.dumps(
        {"channel": CHANNEL, "topic": TOPIC, "subjects": [f"email:{email_of(i)}" for i in range(BATCH)]}
    ).encode()

    async def batch():
        status, body = await call(app, "POST", "/v1/consent-checks", "", [bearer, json_type], [batch_body])
        assert status == 200, body[:300]

    stream_parts = [
        "".join(f'"email:{email_of(i)}"\n' for i in range(start, min(n, start + 10_000))).encode()
        for start in range(0, n, 10_000)
    ]
    stream_query = urlencode({"channel": CHANNEL, "topic": TOPIC})
    ndjson_type = (b"content-type", b"application/x-ndjson")

    async def stream():
        status, body = await call(
            app, "POST", "/v1/consent-checks/stream", stream_query, [bearer, ndjson_type], stream_parts
        )
        assert status == 200 and body.count(b"\n") == n, (status, body[:300])

    on = args.workers > 0
    wanted = set(args.only.split(",")) if args.only else None

    async def part(name: str, label: str, per: int, once, children: bool = False) -> None:
        if wanted is None or name in wanted:
            figures[name] = await best(label, per, repeat, once, children=children)

    await part("bare", "bare /health", 2000, bare)
    await part("single", "single check", 2000, single)
    await part("batch", f"batch, workers={args.workers}", BATCH, batch, on)
    await part("stream", f"stream, workers={args.workers}", n, stream, on)

    # What a worker runs, in this process: its reader, CheckRun, and its two entry points.
    items = [(f"email:{email_of(i)}", None, None) for i in range(BATCH)]
    reader = sqlite_reader(str(Path(args.data) / "var" / "prefcenter.db"))
    now = utcnow()

    async def sync():
        service.CheckRun(reader, ctx.keys.pepper, now).decide_items_sync(items, CHANNEL, TOPIC)

    await part("sync", "decide_items_sync", BATCH, sync)
    worker_pool._reader, worker_pool._pepper, worker_pool._loop = reader, ctx.keys.pepper, None
    piece = items[: service.PIECE]
    packed = worker_pool._msgpack.encode(piece)

    async def worker_batch():
        for start in range(0, BATCH, service.PIECE):
            worker_pool._decide(packed, start, CHANNEL, TOPIC, now)

    await part("worker_batch", "worker _decide (batch)", BATCH, worker_batch)
    answers = [
        worker_pool._decide(packed, start, CHANNEL, TOPIC, now) for start in range(0, BATCH, service.PIECE)
    ]

    async def server_batch():
        pieces = [items[start : start + service.PIECE] for start in range(0, BATCH, service.PIECE)]
        _ = [worker_pool._msgpack.encode(p) for p in pieces]
        _ = [result for answer in answers for result in worker_pool._results.decode(answer)]

    await part("server_batch", "server share (batch)", BATCH, server_batch)
    chunk = b"\n".join(f'"email:{email_of(i)}"'.encode() for i in range(4000))

    async def worker_stream():
        for start in range(0, BATCH, 4000):
            worker_pool._answer(chunk, start, CHANNEL, TOPIC, now)

    await part("worker_stream", "worker _answer (stream)", 3 * 4000, worker_stream)
    if args.profile:
        import cProfile
        import pstats

        parts = {
            "single": single,
            "batch": batch,
            "stream": stream,
            "sync": sync,
            "worker_stream": worker_stream,
        }
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(3):
            await parts[args.profile]()
        profile.disable()
        if args.stats:
            profile.dump_stats(args.stats)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    reader.close()
    worker_pool.close_check_workers(ctx) if hasattr(worker_pool, "close_check_workers") else None
    await ctx.db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="directory for the seeded database (reused)")
    parser.add_argument("--subjects", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=0, help="check worker processes (0: in the server)")
    parser.add_argument("--only", help="comma-separated parts to measure (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", choices=["single", "batch", "stream", "sync", "worker_stream"])
    parser.add_argument("--stats", help="write the --profile statistics here (pstats)")
    parser.add_argument("--top", type=int, default=30, help="functions listed by --profile")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    figures = asyncio.run(measure(args))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
