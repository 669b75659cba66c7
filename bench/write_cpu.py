"""CPU per request of the everyday write path, in-process: the real app behind ``httpx``'s ASGI transport
(no server, no load generator), so the figure is this process's CPU time (``time.process_time``) and holds
up on a busy machine where ``bench/api.py``'s throughput does not. The figures include the test client's
own share (about half of what a bare ``/health`` costs here).

    .venv/bin/python -m bench.write_cpu                                  # SQLite in a temporary directory
    .venv/bin/python -m bench.write_cpu --database-url postgresql+asyncpg://.../empty_db
    .venv/bin/python -m bench.write_cpu --only save --profile save       # and a cProfile of the saves
    .venv/bin/python -m bench.write_cpu --only save --profile save --profile-all 60   # by own time, all modules

Cases as in ``bench/api.py``: ``bare`` (GET /health), ``profile`` (GET a profile with an API client token),
``save`` (PATCH 2 preferences whose status flips every time), ``grant/withdraw`` (grant ``offers`` by
email, then withdraw it; the figure is per request), ``catalog`` (GET /v1/catalog?locale=de with the
person's widget subject token), ``first paint`` (GET /v1/subjects/{id}/preference-center?locale=de with the
subject token: the widget's first load, one request) and ``first paint (two requests)`` (the catalog, then
the profile, as the widget loaded before; the figure is per paint). Best of ``--runs`` runs of
``--requests`` requests (paints). On PostgreSQL it also prints, per request of the best run, the round
trips to the server (writes on its sockets: asyncpg sends each operation's messages in one write) and the
CPU time of the database's server backends (``/proc/<pid>/stat``, when readable: the server shares the
machine's cores).
A benchmark prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from asyncio import selector_events
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.in_process import client_bearer, create_people, migrated_settings

PEOPLE = 50
CASES = ("bare", "profile", "save", "grant/withdraw", "catalog", "first paint", "first paint (two requests)")
SAVE_ITEMS = [("email", "product_updates"), ("push", "product_updates")]
GRANT = {
    "topic": "offers",
    "channels": ["email"],
    "notice_version": 1,
    "method": "checkbox",
    "touchpoint": "web",
}


class RoundTrips:
    """Counts writes on sockets to the database server's port (one per round trip with asyncpg)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.count = 0
        original = selector_events._SelectorSocketTransport.write
        counter = self

        def write(transport, data):
            peer = transport.get_extra_info("peername")
            if peer is not None and peer[1] == counter.port:
                counter.count += 1
            return original(transport, data)

        selector_events._SelectorSocketTransport.write = write


def backend_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the server backends ``pids`` (0 where /proc does not show them)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def backend_pids(ctx) -> list[int]:
    async with ctx.db.read_engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return [row[0] for row in rows]


async def measure(args: argparse.Namespace) -> dict[str, float]:
    from prefcenter.app import create_app
    from prefcenter.demo import load_demo

    var = Path(tempfile.mkdtemp(prefix="prefcenter-write-cpu-"))
    settings = migrated_settings(var, args.database_url, rate_limit=False)
    app = create_app(settings)
    ctx = app.state.ctx
    postgres = ctx.db.dialect == "postgresql"
    round_trips = RoundTrips(ctx.db.write_engine.url.port or 5432) if postgres else None
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.local")
    try:
        await load_demo(ctx)
        auth = await client_bearer(ctx, client, ["preferences:read", "preferences:write"])
        ids = await create_people(client, auth, PEOPLE)
        subject_auths = []
        for subject_id in ids:
            minted = await client.post(f"/v1/subjects/{subject_id}/widget-tokens", json={}, headers=auth)
            subject_auths.append({"Authorization": f"Bearer {minted.json()['token']}"})
        n = 0

        async def bare() -> None:
            assert (await client.get("/health")).status_code == 200

        async def profile() -> None:
            nonlocal n
            n += 1
            assert (
                await client.get(f"/v1/subjects/{ids[n % PEOPLE]}/profile", headers=auth)
            ).status_code == 200

        async def save() -> None:
            nonlocal n
            n += 1
            status = "opted_out" if (n // PEOPLE) % 2 == 0 else "opted_in"
            items = [{"channel": c, "topic": t, "status": status} for c, t in SAVE_ITEMS]
            answer = await client.patch(
                f"/v1/subjects/{ids[n % PEOPLE]}/preferences",
                json={"touchpoint": "account", "items": items},
                headers=auth,
            )
            assert answer.status_code == 200, answer.text

        async def grant_withdraw() -> None:
            nonlocal n
            n += 1
            subject = ids[n % PEOPLE]
            granted = await client.post(f"/v1/subjects/{subject}/consents", json=GRANT, headers=auth)
            assert granted.status_code == 201, granted.text
            withdrawn = await client.post(
                f"/v1/subjects/{subject}/consents/{granted.json()['id']}/withdraw",
                json={"touchpoint": "account"},
                headers=auth,
            )
            assert withdrawn.status_code == 200, withdrawn.text

        async def catalog() -> None:
            nonlocal n
            n += 1
            answer = await client.get("/v1/catalog?locale=de", headers=subject_auths[n % PEOPLE])
            assert answer.status_code == 200, answer.text

        async def first_paint() -> None:
            nonlocal n
            n += 1
            answer = await client.get(
                f"/v1/subjects/{ids[n % PEOPLE]}/preference-center?locale=de",
                headers=subject_auths[n % PEOPLE],
            )
            assert answer.status_code == 200, answer.text

        async def first_paint_two_requests() -> None:
            nonlocal n
            n += 1
            person = subject_auths[n % PEOPLE]
            assert (await client.get("/v1/catalog?locale=de", headers=person)).status_code == 200
            assert (
                await client.get(f"/v1/subjects/{ids[n % PEOPLE]}/profile", headers=person)
            ).status_code == 200

        cases = {
            "bare": (bare, 1),
            "profile": (profile, 1),
            "save": (save, 1),
            "grant/withdraw": (grant_withdraw, 2),
            "catalog": (catalog, 1),
            "first paint": (first_paint, 1),
            "first paint (two requests)": (first_paint_two_requests, 1),
        }
        figures = {}
        for name in args.only or cases:
            run, requests_each = cases[name]
            for _ in range(20):
                await run()
            best = float("inf")
            server_note = ""
            pids = await backend_pids(ctx) if postgres else []
            for _ in range(args.runs):
                trips_before = round_trips.count if round_trips else 0
                server_before = backend_cpu_seconds(pids)
                started = time.process_time()
                for _ in range(args.requests):
                    await run()
                cpu = (time.process_time() - started) / (args.requests * requests_each)
                if cpu < best:
                    best = cpu
                    if round_trips:
                        count = args.requests * requests_each
                        trips = (round_trips.count - trips_before) / count
                        server_ms = (backend_cpu_seconds(pids) - server_before) * 1000 / count
                        server_note = f"; {trips:.1f} round trips, server backends {server_ms:.2f} ms CPU"
            figures[name] = best * 1000
            unit = "paint" if name.startswith("first paint") else "request"
            print(
                f"{name}: {figures[name]:.3f} ms CPU per {unit} (best of {args.runs} x {args.requests})"
                + server_note
            )
            if args.profile == name:
                # --profile-all: CPU time (waiting in epoll is not this process's cost)
                profiler = cProfile.Profile(time.process_time) if args.profile_all else cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    await run()
                profiler.disable()
                stats = pstats.Stats(profiler)
                if args.profile_all:  # every function, by its own time: the driver's, the framework's, ...
                    stats.sort_stats("tottime").print_stats(args.profile_all)
                else:
                    stats.sort_stats("cumulative").print_stats(r"prefcenter|litestar/routes", 40)
        return figures
    finally:
        await client.aclose()
        await ctx.db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary directory)")
    parser.add_argument("--requests", type=int, default=200, help="per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", choices=CASES)
    parser.add_argument("--profile", help="a case to run once more under cProfile")
    parser.add_argument(
        "--profile-all", type=int, metavar="N", help="the profile's N functions of most own time, any module"
    )
    asyncio.run(measure(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
