"""Everyday API path benchmark: profile reads, preference saves, consent grant/withdraw and the widget's
first paint, as figures and ratios to the bare ``/health`` endpoint measured in the same run.

    .venv/bin/python -m bench.api                          # SQLite
    .venv/bin/python -m bench.api --engine postgres        # a throwaway PostgreSQL cluster
    .venv/bin/python -m bench.api --engine postgres --workers 2

One run: a fresh database (migrated, demo catalog), the real server (``prefcenter serve``) as a subprocess,
200 people made through the API, each with an email identity and a widget subject token. Then for every
case, with ``wrk`` (2 threads, 8 connections):

1. full load for ``--seconds``: requests/s, the ratio to bare, the server's CPU per request (server
   process and its children, user + system) and its context switches per request (voluntary and not: each
   is a sleep and a wake-up, which costs CPU of its own when processes outnumber free cores);
2. a fixed offered rate of half that throughput (each connection pauses between requests): p50, p99,
   p99.9 and max latency. At full load p99 is mostly queueing; the paced run shows the service time a
   caller sees at a sustainable load.

Cases: ``bare`` (GET /health), ``profile (client)`` and ``profile (subject)`` (GET
/v1/subjects/{id}/profile with an API client token / the person's subject token), ``first paint`` (GET
/v1/subjects/{id}/preference-center?locale=de with a subject token: the widget's first load, the catalog and
the profile in one request), ``first paint (two requests)`` (GET /v1/catalog?locale=de then GET profile, as
the widget loaded before: one paint = two requests), ``save`` (PATCH /v1/subjects/{id}/preferences with 2 items whose status flips every time, so
every save writes), ``grant/withdraw`` (POST a consent to ``offers``, which needs no double opt-in, then
withdraw it by the id the grant returned).

``--rounds N`` runs every case at full load N times in turn and reports medians, each round's ratio taken to
that round's own bare run: on a host whose speed drifts (bare moved 6,000-14,000 req/s between minutes on a
noisy day) a ratio to one bare run taken minutes earlier says more about the host than about the case.

A benchmark prints figures; it is not a timed test. This machine's absolute figures move 20-40 % between
runs; compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.checks import ROOT, Server, demo_database, free_port, log

CONNECTIONS = 8
THREADS = {"grant/withdraw": 8}  # wrk threads per case (default 2, as in the side-by-side run)
PEOPLE = 200
PAINTS = {"first paint": 1, "first paint (two requests)": 2}  # requests per widget first paint

# Every script: `request()` builds the next request from the shared lists; `done()` prints the latency
# percentiles wrk keeps (microseconds) as one JSON line, since `--latency` prints no p99.9.
LUA_COMMON = """
local ids = {%(ids)s}
local subject_tokens = {%(subject_tokens)s}
local client_token = "%(client_token)s"
local pause = %%(pause)f
local threads = 0
local n = 0
setup = function(thread)
  thread:set("offset", threads * 25)  -- threads start at different people
  threads = threads + 1
end
delay = function() return pause end
done = function(summary, latency, requests)
  io.write(string.format('\\nLATENCY {"p50": %%d, "p99": %%d, "p999": %%d, "max": %%d, "requests": %%d, "errors": %%d}\\n',
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
local function pick()
  n = n + 1
  local i = ((n + offset) %% #ids) + 1
  return i, ids[i]
end
"""

CASES = {
    "bare": """
request = function() return wrk.format("GET", "/health") end
""",
    "profile (client)": """
request = function()
  local _, id = pick()
  return wrk.format("GET", "/v1/subjects/" .. id .. "/profile", {["Authorization"] = "Bearer " .. client_token})
end
""",
    "profile (subject)": """
request = function()
  local i, id = pick()
  return wrk.format("GET", "/v1/subjects/" .. id .. "/profile", {["Authorization"] = "Bearer " .. subject_tokens[i]})
end
""",
    "first paint": """
request = function()
  local i, id = pick()
  return wrk.format("GET", "/v1/subjects/" .. id .. "/preference-center?locale=de",
    {["Authorization"] = "Bearer " .. subject_tokens[i]})
end
""",
    "first paint (two requests)": """
request = function()
  local i, id = pick()
  local auth = {["Authorization"] = "Bearer " .. subject_tokens[i]}
  if n % 2 == 0 then return wrk.format("GET", "/v1/catalog?locale=de", auth) end
  return wrk.format("GET", "/v1/subjects/" .. id .. "/profile", auth)
end
""",
    "save": """
request = function()
  local _, id = pick()
  local status = ((math.floor(n / #ids) % 2) == 0) and "opted_out" or "opted_in"
  local body = '{"touchpoint": "account", "items": ['
    .. '{"channel": "email", "topic": "product_updates", "status": "' .. status .. '"},'
    .. '{"channel": "push", "topic": "product_updates", "status": "' .. status .. '"}]}'
  return wrk.format("PATCH", "/v1/subjects/" .. id .. "/preferences",
    {["Authorization"] = "Bearer " .. client_token, ["Content-Type"] = "application/json"}, body)
end
""",
    # One connection per wrk thread (see THREADS), so each response answers that thread's last request.
    "grant/withdraw": """
local granted_for, pending = nil, nil
response = function(status, headers, body)
  pending = nil
  if status == 201 then pending = {granted_for, body:match('"id":%s*"([^"]+)"')} end
end
request = function()
  local auth = {["Authorization"] = "Bearer " .. client_token, ["Content-Type"] = "application/json"}
  if pending then
    local subject, consent = pending[1], pending[2]
    pending = nil
    return wrk.format("POST", "/v1/subjects/" .. subject .. "/consents/" .. consent .. "/withdraw", auth,
      '{"touchpoint": "account"}')
  end
  -- each thread its own 25 people (8 threads, 200 people): another thread's grant would supersede the
  -- consent this one is about to withdraw (a 409 conflict, as the API should answer, but not this case)
  n = n + 1
  local id = ids[offset + (n % 25) + 1]
  granted_for = id
  return wrk.format("POST", "/v1/subjects/" .. id .. "/consents", auth,
    '{"topic": "offers", "channels": ["email"], "notice_version": 1, "method": "checkbox", "touchpoint": "web"}')
end
""",
}


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    errors: int
    requests: int


def wrk(base: str, script: str, seconds: int, pause_ms: float = 0.0, threads: int = 2) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script.replace("%(pause)f", f"{pause_ms:f}"))
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", fh.name, base],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(fh.name)
    if out.returncode != 0 or "LATENCY " not in out.stdout:
        raise RuntimeError(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    out = out.stdout
    rate = float(out.split("Requests/sec:")[1].split()[0])
    lat = json.loads(out.split("LATENCY ")[1].splitlines()[0])
    return Figures(
        rate,
        lat["p50"] / 1000,
        lat["p99"] / 1000,
        lat["p999"] / 1000,
        lat["max"] / 1000,
        lat["errors"],
        lat["requests"],
    )


def paced_run(base: str, script: str, seconds: int, rate: float, threads: int) -> Figures:
    """``rate`` offered as a pause between a connection's requests, calibrated once: a short run shows
    how long a request cycle takes besides the pause, and the pause is shortened by that much."""
    log(f"wrk: paced to ~{rate:,.0f} req/s")
    cycle_ms = CONNECTIONS / rate * 1000
    trial = wrk(base, script, 2, cycle_ms, threads)
    pause_ms = max(0.0, cycle_ms - (CONNECTIONS / trial.rps * 1000 - cycle_ms))
    return wrk(base, script, seconds, pause_ms, threads)


def people(base: str, client_token: str) -> tuple[list[str], list[str]]:
    """200 people through the API, each with a widget subject token (a day long)."""
    auth = {"Authorization": f"Bearer {client_token}"}
    ids, tokens = [], []
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        for i in range(PEOPLE):
            made = client.post(
                "/v1/subjects",
                json={
                    "external_id": f"bench-{i}",
                    "identities": [{"kind": "email", "value": f"bench{i}@example.com"}],
                },
            )
            made.raise_for_status()
            ids.append(made.json()["id"])
            minted = client.post(f"/v1/subjects/{ids[-1]}/widget-tokens", json={"ttl_seconds": 86_400})
            minted.raise_for_status()
            tokens.append(minted.json()["token"])
    return ids, tokens


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="prefcenter-bench-api-"))
    cluster = None
    try:
        if args.engine == "postgres":
            sys.path.insert(0, str(ROOT))
            from tests.support.postgres import create_database, throwaway_cluster

            cluster = throwaway_cluster()
            url = create_database(cluster.__enter__(), "bench_api")
        else:
            url = f"sqlite+aiosqlite:///{work / 'var' / 'prefcenter.db'}"
        env, creds = demo_database(work, url)
        server = Server(env, free_port(), args.workers)
        try:
            client_token = httpx.post(
                server.base + "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                },
            ).json()["access_token"]
            ids, subject_tokens = people(server.base, client_token)
            common = LUA_COMMON % {
                "ids": ",".join(json.dumps(i) for i in ids),
                "subject_tokens": ",".join(json.dumps(t) for t in subject_tokens),
                "client_token": client_token,
            }
            results: dict = {"engine": args.engine, "workers": args.workers, "cases": {}}
            names = [n for n in CASES if not args.only or n in args.only]
            rounds: list[dict] = []
            for round_number in range(1, args.rounds + 1):
                measured = {}
                for name in names:
                    log(f"wrk: {name}, full load (round {round_number} of {args.rounds})")
                    cpu_before, switches_before = server.cpu_seconds(), server.context_switches()
                    full = wrk(server.base, common + CASES[name], args.seconds, threads=THREADS.get(name, 2))
                    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(full.requests, 1)
                    switches = (server.context_switches() - switches_before) / max(full.requests, 1)
                    measured[name] = (full, cpu_ms, switches)
                rounds.append(measured)
            for name in names:
                full = rounds[-1][name][0]
                paced = paced_run(
                    server.base, common + CASES[name], args.seconds, full.rps / 2, THREADS.get(name, 2)
                )
                results["cases"][name] = _summary(
                    [r[name] for r in rounds], [r.get("bare") for r in rounds], paced
                )
        finally:
            server.stop()
        return results
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)


def _summary(
    runs: list[tuple[Figures, float]], bares: list[tuple[Figures, float] | None], paced: Figures
) -> dict:
    """A case over the rounds: the median full-load run (by req/s), the median CPU per request, the median
    of each round's ratio to that round's bare run (the host's speed drifts between rounds; a case and the
    bare run next to it drift together), and the paced run."""
    ordered = sorted(runs, key=lambda run: run[0].rps)
    summary = {
        "full": ordered[len(ordered) // 2][0].__dict__,
        "paced": paced.__dict__,
        "cpu_ms_per_request": statistics.median(cpu for _, cpu, _ in runs),
        "switches_per_request": statistics.median(switches for _, _, switches in runs),
        "rounds_rps": [run[0].rps for run in runs],
    }
    if all(bares):
        summary["of_bare"] = statistics.median(
            run[0].rps / bare[0].rps for run, bare in zip(runs, bares, strict=True)
        )
    return summary


def report(r: dict) -> str:
    bare = r["cases"].get("bare", {}).get("full", {}).get("rps")
    rounds = len(next(iter(r["cases"].values()), {}).get("rounds_rps", [None]))
    lines = [
        f"engine {r['engine']}, {r['workers']} server process(es), {CONNECTIONS} connections"
        + (
            f"; medians of {rounds} rounds (of bare: each round's ratio to its own bare run)"
            if rounds > 1
            else ""
        ),
        "",
        "| case | req/s | of bare | CPU ms/req | switches/req | paced req/s | p50 ms | p99 ms | p99.9 ms | max ms "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in r["cases"].items():
        full, paced = c["full"], c["paced"]
        ratio = f"{c['of_bare']:.1%}" if "of_bare" in c else "-"
        lines.append(
            f"| {name} | {full['rps']:,.0f} | {ratio} | {c['cpu_ms_per_request']:.2f} | "
            f"{c['switches_per_request']:.1f} | {paced['rps']:,.0f} | "
            f"{paced['p50_ms']:.1f} | {paced['p99_ms']:.1f} | {paced['p999_ms']:.1f} | {paced['max_ms']:.1f} | "
            f"{full['errors'] + paced['errors']} |"
        )
    if bare:
        for name, requests_per_paint in PAINTS.items():
            if name in r["cases"] and "of_bare" in r["cases"][name]:
                paints = r["cases"][name]["full"]["rps"] / requests_per_paint
                lines.append(
                    f"\n{name}: {paints:,.0f} paints/s = {r['cases'][name]['of_bare'] / requests_per_paint:.1%} of bare"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (prefcenter serve --workers)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="full-load runs of every case, in turn; medians reported (a noisy host: 3 or more)",
    )
    parser.add_argument("--only", nargs="*", help="case names to run (bare is the ratio's base)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    # `make bench` passes the same BENCH_ARGS to bench.checks and here: options only bench.checks knows are ignored.
    args, _ = parser.parse_known_args(argv)
    results = run(args)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
