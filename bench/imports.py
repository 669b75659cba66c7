"""Import benchmark: the real ``prefcenter import`` CLI on a fresh database, rows/s and peak RSS.

    .venv/bin/python -m bench.imports                          # 100,000 rows, NDJSON, SQLite + PostgreSQL
    .venv/bin/python -m bench.imports --rows 1000000 --engine sqlite --format csv

What it does, per engine and format:
1. generates N realistic rows into a temp dir (external id + email, ~30 % a phone, ~30 % preferences,
   ~60 % a consent with its original timestamp, method and touchpoint, some withdrawn; ~10 % of the rows
   update a subject of an earlier row; ~0.5 % invalid rows that must land in the rejected-rows report);
2. a fresh database (``prefcenter db upgrade`` + ``prefcenter demo`` for the catalog; PostgreSQL is a
   throwaway cluster from ``tests/support/postgres.py``, fsync off);
3. times ``prefcenter import FILE --progress never`` in a subprocess (rows/s, peak RSS of that process,
   its CPU time per row with its worker processes: on a shared machine the steadier figure);
4. runs it again (must import nothing: idempotent) and times that too;
5. ``prefcenter audit verify --json`` must report an intact chain with signed checkpoints.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PREFCENTER = str(BIN / "prefcenter")
CSV_COLUMNS = [
    "external_id",
    "email",
    "phone",
    "do_not_contact",
    "channel",
    "topic",
    "status",
    "updated_at",
    "consent_topic",
    "consent_channels",
    "granted_at",
    "notice_version",
    "method",
    "touchpoint",
    "consent_status",
    "withdrawn_at",
]
METHODS = ["checkbox", "verbal", "signed_form", "import", "email_link"]
TOUCHPOINTS = ["web", "signup", "support", "account", "pos", "email_link", "sms"]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def records(n: int, seed: int = 11):
    """Yield (record dict, expected_bad) for n rows."""
    rng = random.Random(seed)
    base = datetime(2025, 6, 1, tzinfo=UTC)
    for i in range(n):
        if rng.random() < 0.005:
            yield {"external_id": f"bad-{i}", "email": f"not-an-email-{i}"}, True
            continue
        j = rng.randrange(i) if i > 10 and rng.random() < 0.1 else i  # an update of an earlier subject
        rec: dict = {"external_id": f"cust-{j}", "email": f"Person.{j}@Example.com"}
        if j == i and rng.random() < 0.3:
            rec["phone"] = f"+49 151 {10_000_000 + j}"
        if rng.random() < 0.3:
            channel = rng.choice(["email", "sms"])
            rec["preferences"] = [
                {
                    "channel": channel,
                    "topic": rng.choice(
                        ["*", "offers"] + (["product_updates"] if channel == "email" else [])
                    ),
                    "status": rng.choice(["opted_in", "opted_out"]),
                    "updated_at": _ts(base + timedelta(minutes=rng.randrange(500_000))),
                }
            ]
        if rng.random() < 0.6:
            granted = base + timedelta(minutes=rng.randrange(500_000))
            consent = {
                "topic": rng.choice(["offers", "newsletter"]),
                "channels": rng.choice([["email"], ["email", "sms"], ["sms"]]),
                "granted_at": _ts(granted),
                "method": rng.choice(METHODS),
                "touchpoint": rng.choice(TOUCHPOINTS),
            }
            if rng.random() < 0.1:
                consent["status"] = "withdrawn"
                consent["withdrawn_at"] = _ts(granted + timedelta(days=rng.randrange(1, 90)))
            rec["consents"] = [consent]
        yield rec, False


def write_file(path: Path, fmt: str, n: int) -> int:
    bad = 0
    with open(path, "w", newline="") as fh:
        if fmt == "ndjson":
            for rec, is_bad in records(n):
                bad += is_bad
                fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            return bad
        writer = csv.DictWriter(fh, CSV_COLUMNS)
        writer.writeheader()
        for rec, is_bad in records(n):
            bad += is_bad
            row = {k: rec.get(k, "") for k in ("external_id", "email", "phone")}
            for p in rec.get("preferences", []):
                row.update(
                    channel=p["channel"], topic=p["topic"], status=p["status"], updated_at=p["updated_at"]
                )
            for c in rec.get("consents", []):
                row.update(
                    consent_topic=c["topic"],
                    consent_channels="|".join(c["channels"]),
                    granted_at=c["granted_at"],
                    method=c["method"],
                    touchpoint=c["touchpoint"],
                    consent_status=c.get("status", ""),
                    withdrawn_at=c.get("withdrawn_at", ""),
                )
            writer.writerow(row)
    return bad


def run_with_rss(cmd: list[str], env: dict) -> tuple[float, float, str, float]:
    """Run cmd as a direct child and read its own peak RSS and its CPU time (user + system, its worker
    processes included) with os.wait4."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: dict[str, bytes] = {}

    def drain(name, stream):
        chunks[name] = stream.read()

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = chunks.get("err", b"").decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss / 1024, err + chunks.get("out", b"").decode(errors="replace"), cpu


def bench_one(work: Path, engine: str, url: str, fmt: str, rows: int, data: Path, chunk: int | None) -> dict:
    var = work / f"var-{engine}-{fmt}"
    env = {
        **os.environ,
        "PREFCENTER_VAR_DIR": str(var),
        "PREFCENTER_DATABASE_URL": url,
        "PREFCENTER_MASTER_KEY_FILE": str(work / "keys" / "master.key"),
        "PREFCENTER_PEPPER_FILE": str(work / "keys" / "pepper.key"),
        "PREFCENTER_SIGNING_KEY_FILE": str(work / "keys" / "signing.key"),
        "PREFCENTER_LOG_LEVEL": "WARNING",
    }
    subprocess.run([PREFCENTER, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([PREFCENTER, "demo"], env=env, check=True, capture_output=True)
    cmd = [PREFCENTER, "import", str(data), "--progress", "never", "--report", str(var / "rejected.csv")]
    if chunk:
        cmd += ["--chunk", str(chunk)]
    seconds, rss, out, cpu = run_with_rss(cmd, env)
    log(f"{engine}/{fmt}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    again, _, out2, _ = run_with_rss(cmd, env)
    log(f"{engine}/{fmt} re-run: {out2.strip().splitlines()[-1] if out2.strip() else ''}")
    if not out2.strip().splitlines()[-1].startswith("0 rows imported"):
        raise RuntimeError(f"re-run imported rows: {out2}")
    verified = subprocess.run(
        [PREFCENTER, "audit", "verify", "--json"], env=env, check=False, capture_output=True, text=True
    )
    result = json.loads(verified.stdout)
    if not result.get("ok"):
        raise RuntimeError(f"audit chain broken after import: {result}")
    rejected = 0
    if (var / "rejected.csv").exists():
        with open(var / "rejected.csv") as fh:
            rejected = sum(1 for _ in fh) - 1
    return {
        "engine": engine,
        "format": fmt,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "cpu_us_per_row": cpu / rows * 1e6,  # the import process and its workers (not PostgreSQL's)
        "rerun_rows_per_s": rows / again,
        "peak_rss_mb": rss,
        "rejected": rejected,
        "events": result.get("events_checked"),
        "checkpoints": result.get("checkpoints_checked"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--format", choices=["ndjson", "csv", "both"], default="ndjson")
    parser.add_argument("--chunk", type=int, help="rows per transaction (default: the CLI's)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    formats = ["ndjson", "csv"] if args.format == "both" else [args.format]
    work = Path(tempfile.mkdtemp(prefix="prefcenter-bench-import-"))
    results = []
    try:
        subprocess.run(
            [PREFCENTER, "keys", "generate", "--dir", str(work / "keys")], check=True, capture_output=True
        )
        files = {}
        for fmt in formats:
            files[fmt] = work / f"rows.{fmt}"
            bad = write_file(files[fmt], fmt, args.rows)
            log(f"{args.rows:,} rows of {fmt} ({files[fmt].stat().st_size / 1e6:.1f} MB, {bad} invalid)")
        for engine in engines:
            for fmt in formats:
                if engine == "sqlite":
                    url = f"sqlite+aiosqlite:///{work / f'{fmt}.db'}"
                    results.append(bench_one(work, engine, url, fmt, args.rows, files[fmt], args.chunk))
                else:
                    sys.path.insert(0, str(ROOT))
                    from tests.support.postgres import create_database, throwaway_cluster

                    with throwaway_cluster() as base_url:
                        url = create_database(base_url, f"bench_import_{fmt}")
                        results.append(bench_one(work, engine, url, fmt, args.rows, files[fmt], args.chunk))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"prefcenter import bench — {args.rows:,} rows, {os.cpu_count()} cores")
    print(
        f"{'':18}{'rows/s':>10}{'seconds':>9}{'CPU us/row':>12}{'re-run rows/s':>15}{'peak RSS':>10}"
        f"{'rejected':>10}{'events':>9}"
    )
    for r in results:
        print(
            f"{r['engine'] + ' ' + r['format']:18}{r['rows_per_s']:>10,.0f}{r['seconds']:>9.1f}"
            f"{r['cpu_us_per_row']:>12.0f}"
            f"{r['rerun_rows_per_s']:>15,.0f}{r['peak_rss_mb']:>8.0f}MB{r['rejected']:>10,}{r['events']:>9,}"
        )
    print("audit chain verified after every import (prefcenter audit verify)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
