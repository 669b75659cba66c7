"""DSR benchmarks: erasure throughput (10,000 subjects queued at once) and a 10,000-event export.

    .venv/bin/python bench/dsr.py                # SQLite and (if PostgreSQL binaries exist) PostgreSQL
    .venv/bin/python bench/dsr.py --engines sqlite --subjects 2000

Prints subjects/s for the erasures (worker batches, measured from the first claim to the last commit)
and seconds + peak traced memory for building, zipping and encrypting one export.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prefcenter.context import AppContext  # noqa: E402
from prefcenter.dsr import export as exports  # noqa: E402
from prefcenter.jobs import queue  # noqa: E402
from prefcenter.keys import generate_key_files  # noqa: E402
from prefcenter.settings import DatabaseSettings, KeySettings, LogSettings, Settings  # noqa: E402
from prefcenter.store import migrate  # noqa: E402
from prefcenter.store.models_dsr import DsrRequest  # noqa: E402
from prefcenter.store.unit_of_work import Actor  # noqa: E402
from prefcenter.subjects import service as subjects  # noqa: E402
from prefcenter.subjects.schemas import (  # noqa: E402
    IdentityWrite,
    PreferenceItem,
    PreferencesUpdate,
    SubjectCreate,
)
from prefcenter.worker import build_worker  # noqa: E402

OFFICER = Actor("agent", "bench")


def settings_for(var: Path, url: str) -> Settings:
    var.mkdir(parents=True, exist_ok=True)
    generate_key_files(var)
    return Settings(
        var_dir=var,
        database=DatabaseSettings(url=url),
        keys=KeySettings(var / "master.key", var / "pepper.key", var / "signing.key", generate_missing=False),
        log=LogSettings(format="json", level="WARNING"),
    )


async def seed_erasures(ctx: AppContext, n: int) -> None:
    """n subjects with an email and a phone, each with a verified erasure request queued (bulk insert)."""
    from prefcenter.dsr.deadlines import add_months

    chunk = 1000
    for start in range(0, n, chunk):
        async with ctx.unit_of_work() as uow:
            for i in range(start, min(n, start + chunk)):
                s = await subjects.create_subject(
                    uow,
                    OFFICER,
                    SubjectCreate(
                        external_id=f"b-{i}-{uuid.uuid4().hex[:6]}",
                        identities=[
                            IdentityWrite(kind="email", value=f"bench{i}-{uuid.uuid4().hex[:6]}@example.com"),
                            IdentityWrite(kind="phone", value=f"+49151{i:08d}"),
                        ],
                    ),
                )
                sid = s.id
                rid = str(uuid.uuid4())
                uow.session.add(
                    DsrRequest(
                        id=rid,
                        type="erasure",
                        subject_id=sid,
                        addressed_by="subject_id",
                        status="verified",
                        received_at=uow.now,
                        due_at=add_months(uow.now, 1),
                        extended_months=0,
                        verification_attempts=0,
                        run_number=1,
                        duplicates=0,
                        actor_type="agent",
                        actor_id="bench",
                        updated_at=uow.now,
                    )
                )
                await uow.session.flush()
                await queue.enqueue(
                    uow.session, "dsr.erasure", {"request_id": rid}, dedupe_key=f"dsr:{rid}:1"
                )


async def bench_erasure(ctx: AppContext, n: int) -> float:
    await seed_erasures(ctx, n)
    worker = build_worker(ctx, webhooks=False)
    handler = worker.handlers["dsr.erasure"]
    started = time.perf_counter()
    while await worker.run_batch_kind(handler):
        pass
    elapsed = time.perf_counter() - started
    assert worker.stats.jobs_done == n, worker.stats
    return n / elapsed


async def bench_export(ctx: AppContext, events: int) -> tuple[float, float, int]:
    async with ctx.unit_of_work() as uow:
        s = await subjects.create_subject(
            uow, OFFICER, SubjectCreate(external_id=f"exp-{uuid.uuid4().hex[:6]}")
        )
        sid = s.id
    per_tx = 500
    for start in range(0, events, per_tx):
        async with ctx.unit_of_work() as uow:
            for n in range(start, min(events, start + per_tx)):
                status = "opted_in" if n % 2 == 0 else "opted_out"
                await subjects.update_preferences(
                    uow,
                    OFFICER,
                    sid,
                    PreferencesUpdate(
                        touchpoint="web", items=[PreferenceItem(channel="*", topic="*", status=status)]
                    ),
                    None,
                )
    tracemalloc.start()
    started = time.perf_counter()
    async with ctx.db.read_session() as session:
        document = await exports.build_document(session, ctx.keys, sid)
    data = exports.zip_document(document)
    exports.encrypt_export(ctx.keys.master_key, str(uuid.uuid4()), data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, len(document["events"])


async def run_engine(settings: Settings, subjects_n: int, events: int) -> dict:
    from prefcenter.logs import configure_logging

    migrate.upgrade(settings.database.url)
    configure_logging(settings.log)
    ctx = AppContext.build(settings)
    try:
        rate = await bench_erasure(ctx, subjects_n)
        seconds, peak_mib, counted = await bench_export(ctx, events)
    finally:
        await ctx.db.dispose()
    return {"erasures_per_s": rate, "export_s": seconds, "export_peak_mib": peak_mib, "events": counted}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            var = Path(tmp) / engine
            if engine == "sqlite":
                results[engine] = asyncio.run(
                    run_engine(
                        settings_for(var, f"sqlite+aiosqlite:///{var / 'b.db'}"), args.subjects, args.events
                    )
                )
            else:
                from tests.support.postgres import PostgresUnavailable, create_database, throwaway_cluster

                try:
                    with throwaway_cluster() as base:
                        url = create_database(base, "bench")
                        results[engine] = asyncio.run(
                            run_engine(settings_for(var, url), args.subjects, args.events)
                        )
                except PostgresUnavailable as exc:
                    print(f"postgres skipped: {exc}")
    print(f"{'engine':10} {'erasures/s':>12} {'export s':>10} {'peak MiB':>10} {'events':>8}")
    for engine, r in results.items():
        print(
            f"{engine:10} {r['erasures_per_s']:12.0f} {r['export_s']:10.2f} {r['export_peak_mib']:10.1f} {r['events']:8d}"
        )
    print("targets: >= 500 erasures/s, <= 2 s for a 10,000-event export")


if __name__ == "__main__":
    main()
