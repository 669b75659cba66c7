"""Insights benchmark: every metric's answer over a large data set, next to a raw-SQL floor over the same
rollup rows, and the sweep's folding rate (a benchmark that prints figures, not a timed test).

    .venv/bin/python -m bench.insights                          # 1,000,000 people, 10,000,000 events
    .venv/bin/python -m bench.insights --people 100000 --events 1000000   # quicker

One run, on SQLite (the embedded default; a file under a temporary directory):
1. a fresh database (migrated, demo catalog);
2. the rollups of N events of M people, seeded directly (as the check bench seeds projections): a year
   of random preference changes (2 channels x 3 topics, 7 touchpoints, 3 sites, a tenth of them opt-outs,
   some one-click unsubscribes, consents granted, double opt-ins sent and confirmed) generated per shard of
   people and folded with the sweep's own fold (core/insight_folds.py), the day rows written once; the
   consent rates of every day as the recount writes them, from each day's choices; 100,000 feedback answers, 200,000 contacts and 10,000 DSRs
   written straight into their tables, the contacts folded into the service rollup by the sweep's fold. The events themselves are not written (they are not read to answer);
3. the sweep's folding rate: 200,000 events written to the log, folded by ``fold_new_events`` as the worker
   does (batches of 5,000, one transaction each);
4. each metric through the real app in process (``GET /v1/insights/{metric}``, a year by month, by week and
   by day, grouped and not): the median of 5 answers, next to the floor: the same rollup rows read by raw
   sqlite3 queries (the sums per day and group the service reads, nothing computed);
5. the recount behind consent-rates, reach, audience and expiring (``--recount-people``, default 50,000
   people seeded as the check bench seeds them): its time and CPU, best of 3.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bench.checks import populate
from bench.in_process import client_bearer, migrated_settings
from prefcenter.app import create_app
from prefcenter.core.contact_folds import CONTACT_FIGURES, Contact, fold_contacts
from prefcenter.core.insight_folds import FoldEvent, fold_events
from prefcenter.core.insight_periods import period_start
from prefcenter.demo import load_demo
from prefcenter.insights.service import fold_new_events, recount_reach

CHANNELS = ("email", "sms")
TOPICS = ("newsletter", "offers", "product_updates")
TOUCHPOINTS = ("web", "signup", "account", "support", "pos", "email_link", "import")
SITES = ("shop-de", "shop-fr", "")
YEAR = date(2026, 1, 1)
SHARD = 50_000


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _instant(day: int, second: int) -> str:
    d = YEAR + timedelta(days=day)
    return f"{d.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000000Z"


def shard_events(rng: random.Random, first: int, people: int, events: int) -> list[FoldEvent]:
    """``events`` random events of ``people`` people numbered from ``first``, in time order."""
    out = []
    stamps = sorted(rng.randrange(365 * 86400) for _ in range(events))
    for seq, stamp in enumerate(stamps):
        sid = f"p{first + rng.randrange(people)}"
        at = _instant(stamp // 86400, stamp % 86400)
        roll = rng.random()
        if roll < 0.90:
            out_ = rng.random() < 0.12
            touchpoint = "email_link" if out_ and rng.random() < 0.4 else rng.choice(TOUCHPOINTS)
            data = {
                "channel": rng.choice(CHANNELS),
                "topic": rng.choice(TOPICS),
                "status": "opted_out" if out_ else "opted_in",
                "reason": "one-click unsubscribe" if touchpoint == "email_link" else None,
            }
            out.append(FoldEvent(seq, at, "preference.set", sid, touchpoint, rng.choice(SITES) or None, data))
        else:
            kind = rng.choice(("consent.granted", "consent.pending_confirmation", "consent.confirmed"))
            data = {"topic": rng.choice(TOPICS), "method": rng.choice(("checkbox", "verbal", "api"))}
            out.append(
                FoldEvent(seq, at, kind, sid, rng.choice(TOUCHPOINTS), rng.choice(SITES) or None, data)
            )
    return out


def seed_rollups(db: Path, people: int, events: int) -> dict[str, int]:
    """The event-day counts from the folded events; the consent-rate rows of every day of the year as the
    recount writes them (its shape: per channel, topic, touchpoint and site where the choice was made, ""
    for none; the figures from each day's folded choices, everyone else counted under no choice)."""
    rng = random.Random(13)
    event_days: Counter = Counter()
    changes: Counter = Counter()  # (day, channel, topic, tp, site, status) -> change in the day's state
    started = time.perf_counter()
    shards = max(1, people // SHARD)
    for shard in range(shards):
        batch = shard_events(rng, shard * SHARD, min(SHARD, people), events // shards)
        event_days.update(fold_events(batch, {}).event_days)
        latest: dict = {}  # (person, channel, topic) -> (touchpoint, site, status): what a change replaces
        for e in batch:
            if e.type != "preference.set":
                continue
            day, channel, topic = e.occurred_at[:10], e.data["channel"], e.data["topic"]
            new = (e.touchpoint or "", e.site or "", e.data["status"])
            old = latest.get((e.subject_id, channel, topic))
            if old is not None:
                changes[(day, channel, topic, *old)] -= 1
            changes[(day, channel, topic, *new)] += 1
            latest[(e.subject_id, channel, topic)] = new
        if shard % 4 == 0:
            log(f"folded shard {shard + 1}/{shards} ({time.perf_counter() - started:.0f} s)")
    by_day: dict[str, list] = {}
    for key, n in changes.items():
        by_day.setdefault(key[0], []).append((key[1:], n))
    state: Counter = Counter()
    rate_rows, people_rows = [], []
    for offset in range(365):
        day = (YEAR + timedelta(days=offset)).isoformat()
        for key, n in by_day.get(day, ()):
            state[key] += n
        counted = datetime.combine(YEAR + timedelta(days=offset + 1), datetime.min.time(), UTC).isoformat()
        groups: Counter = Counter()
        for channel in CHANNELS:
            for topic in TOPICS:
                chosen = 0
                for tp in ("", *TOUCHPOINTS):
                    for site in SITES:
                        i = state[(channel, topic, tp, site, "opted_in")]
                        o = state[(channel, topic, tp, site, "opted_out")]
                        if tp == "" and site == "":
                            continue
                        if i or o:
                            rate_rows.append((day, channel, topic, tp, site, i + o, i, o, counted))
                            chosen += i + o
                            for dim, grp in (("touchpoint", tp), ("site", site)):
                                groups[(dim, grp)] += i + o
                rate_rows.append((day, channel, topic, "", "", people - chosen, 0, 0, counted))
                groups[("touchpoint", "")] += people - chosen
                groups[("site", "")] += people - chosen
                for dim, grp in (("channel", channel), ("topic", topic), ("pair", f"{channel}/{topic}")):
                    groups[(dim, grp)] = people
        groups[("", "")] = people
        people_rows += [(day, dim, grp, min(n, people)) for (dim, grp), n in groups.items()]
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO insight_rate_days VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rate_rows)
        conn.executemany("INSERT INTO insight_rate_people VALUES (?, ?, ?, ?)", people_rows)
        conn.executemany(
            "INSERT INTO insight_event_days VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*k, n) for k, n in event_days.items()],
        )
        conn.execute("INSERT INTO insight_watermarks VALUES ('events', ?, ?)", (events, now))
    return {"rate_day_rows": len(rate_rows), "event_day_rows": len(event_days)}


def seed_tables(db: Path) -> None:
    """Feedback answers, contacts and DSRs written straight into their tables (no personal data needed)."""
    rng = random.Random(7)

    def when() -> str:
        stamp = rng.randrange(365 * 86400)
        return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=stamp)).isoformat()

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.executemany(
            "INSERT INTO feedback (id, received_at, metric, score, channel, touchpoint, site, actor_type)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'client')",
            [
                (
                    str(uuid.uuid4()),
                    when(),
                    m,
                    rng.randint(*r),
                    rng.choice(CHANNELS),
                    rng.choice(TOUCHPOINTS),
                    None,
                )
                for m, r in (
                    rng.choice((("csat", (1, 5)), ("nps", (0, 10)), ("ces", (1, 7)))) for _ in range(100_000)
                )
            ],
        )
        seed_contacts(conn, rng)
        rows = []
        for _ in range(10_000):
            received = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400))
            done = received + timedelta(days=rng.randrange(1, 40)) if rng.random() < 0.8 else None
            rows.append(
                (
                    str(uuid.uuid4()),
                    rng.choice(("access", "erasure", "portability")),
                    f"p{rng.randrange(100_000)}",
                    "subject_id",
                    "completed" if done else "in_progress",
                    received.isoformat(),
                    (received + timedelta(days=30)).isoformat(),
                    done.isoformat() if done else None,
                    rng.choice(("api", "cli", "admin", "self_service")),
                    received.isoformat(),
                )
            )
        conn.executemany(
            "INSERT INTO dsr_requests (id, type, subject_id, addressed_by, status, received_at, due_at,"
            " completed_at, source, updated_at, extended_months, verification_attempts, run_number, duplicates,"
            " actor_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 'client')",
            rows,
        )


def seed_contacts(conn: sqlite3.Connection, rng: random.Random, n: int = 200_000) -> None:
    """``n`` contacts of 200,000 people over the year (a tenth continuing the person's previous contact on
    another channel), written to ``interactions`` and folded into the service rollup by the sweep's own
    fold (core/contact_folds.py), as the sweep would after their ``interaction.recorded`` events."""
    stamps = sorted(rng.randrange(365 * 86400) for _ in range(n))
    last: dict[str, tuple[str, str]] = {}
    events, rows = [], []
    for seq, stamp in enumerate(stamps, start=1):
        sid = f"p{rng.randrange(200_000)}"
        cid = str(uuid.uuid4())
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=stamp)
        channel = rng.choice(("chat", "phone", "email"))
        continues = last[sid][0] if sid in last and rng.random() < 0.1 else None
        data = {
            "interaction_id": cid,
            "channel": channel,
            "topic": rng.choice(TOPICS),
            "outcome": rng.choice(("resolved", "follow_up", "transferred")),
            "handle_seconds": rng.randrange(30, 1200),
            "continues": continues,
        }
        last[sid] = (cid, channel)
        events.append(
            FoldEvent(
                seq, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "interaction.recorded", sid, "support", None, data
            )
        )
        rows.append(
            (
                cid,
                sid,
                at.isoformat(),
                channel,
                "support",
                data["topic"],
                data["outcome"],
                data["handle_seconds"],
                continues,
            )
        )
    conn.executemany(
        "INSERT INTO interactions (id, subject_id, occurred_at, channel, touchpoint, direction, topic,"
        " outcome, handle_seconds, continues, actor_type) VALUES (?, ?, ?, ?, ?, 'inbound', ?, ?, ?, ?, 'client')",
        rows,
    )
    known: dict[str, Contact] = {}
    fold = fold_contacts(events, known)
    conn.executemany(
        f"INSERT INTO insight_contact_days (day, channel, touchpoint, {', '.join(CONTACT_FIGURES)})"
        f" VALUES (?, ?, ?{', ?' * len(CONTACT_FIGURES)})",
        [(*k, *v) for k, v in fold.days.items()],
    )
    conn.executemany(
        "INSERT INTO insight_contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                c.id,
                c.subject_id,
                c.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                c.day,
                c.channel,
                c.touchpoint,
                c.topic,
                c.first,
                c.resolved,
                c.counted,
                c.handle_seconds,
                c.switch,
            )
            for c in known.values()
        ],
    )


FLOORS = {
    # the rows each metric's service reads, by raw sqlite3: sums per day and group (nothing computed after)
    # the state at each period's end: the sums of the period's last counted day only
    "consent-rates": "SELECT day, {g}, sum(subjects), sum(opted_in), sum(opted_out) FROM insight_rate_days"
    " WHERE day >= ?1 AND day < ?2 AND day IN ({days}) GROUP BY day, {g}",
    "collection": "SELECT day, kind, {g}, sum(count) FROM insight_event_days WHERE day >= ?1 AND day < ?2 AND kind IN"
    " ('opted_in','opted_out','granted','pending_confirmation','withdrawn') GROUP BY day, kind, {g}",
    "service": "SELECT day, channel, touchpoint, contacts, handled, handle_seconds, first_contacts,"
    " resolved_first, channel_switches, people FROM insight_contact_days WHERE day >= ?1 AND day < ?2"
    " AND contacts > 0",
    "unsubscribes": "SELECT day, kind, {g}, sum(count) FROM insight_event_days WHERE day >= ?1 AND day < ?2"
    " AND kind = 'opted_out' GROUP BY day, kind, {g}",
}
CASES = [
    ("consent-rates", "month", "channel"),
    ("consent-rates", "week", "topic"),
    ("consent-rates", "day", "touchpoint"),
    ("consent-rates", "month", "site"),
    ("collection", "month", "touchpoint"),
    ("collection", "week", "method"),
    ("unsubscribes", "month", "touchpoint"),
    ("doi", "month", None),
    ("reach", "month", "channel"),
    ("feedback", "month", "metric"),
    ("service", "month", "channel"),
    ("service", "week", None),
    ("service", "day", "touchpoint"),
    ("dsr", "month", "source"),
]


def _last_days(interval: str) -> str:
    """The last day of every period of the year (the bench counted every day)."""
    days = [YEAR + timedelta(days=n) for n in range(365)]
    last = {period_start(d, interval): d for d in days}
    return ",".join(f"'{d.isoformat()}'" for d in last.values())


def floor_ms(db: Path, metric: str, interval: str, group: str | None) -> float | None:
    if metric not in FLOORS:
        return None
    sql = FLOORS[metric].format(g=group or "''", days=_last_days(interval))
    with sqlite3.connect(db) as conn:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            conn.execute(sql, ("2026-01-01", "2027-01-01")).fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def run(args) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        db = var / "prefcenter.db"
        settings = migrated_settings(var, f"sqlite+aiosqlite:///{db}")
        started = time.perf_counter()
        sizes = seed_rollups(db, args.people, args.events)
        log(f"rollups of {args.events:,} events seeded in {time.perf_counter() - started:.0f} s: {sizes}")
        seed_tables(db)

        app = create_app(settings)
        ctx = app.state.ctx
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.local")
        await load_demo(ctx)
        headers = await client_bearer(ctx, client, ["insights:read"])

        # the sweep's folding rate: events written to the log after the seeded watermark, folded as the worker does
        fold_n = args.fold_events
        rng = random.Random(3)
        with sqlite3.connect(db) as conn:
            head = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            conn.execute("UPDATE insight_watermarks SET seq = ?", (head,))
            conn.executemany(
                "INSERT INTO events (seq, occurred_at, subject_id, type, actor_type, actor_id, touchpoint, data,"
                " sealed, prev_hash, hash, site) VALUES (?, ?, ?, 'preference.set', 'client', 'bench', ?, ?, NULL,"
                " '0', '0', NULL)",
                [
                    (
                        head + i + 1,
                        _instant(364, i % 86400),
                        f"q{rng.randrange(fold_n // 4)}",
                        rng.choice(TOUCHPOINTS),
                        f'{{"channel":"{rng.choice(CHANNELS)}","status":"opted_in","topic":"{rng.choice(TOPICS)}"}}',
                    )
                    for i in range(fold_n)
                ],
            )
        started = time.perf_counter()
        while await fold_new_events(ctx):
            pass
        fold_seconds = time.perf_counter() - started

        print(
            f"insights over {args.people:,} people and {args.events:,} events (SQLite); median of 5 answers"
        )
        print(
            f"{'metric':<15}{'interval':<9}{'group_by':<12}{'answer ms':>10}{'floor ms':>10}{'ratio':>8}{'rows':>7}"
        )
        for metric, interval, group in CASES:
            params = {"from": "2026-01-01", "to": "2027-01-01", "interval": interval}
            if group:
                params["group_by"] = group
            times, rows = [], 0
            for _ in range(5):
                t0 = time.perf_counter()
                r = await client.get(f"/v1/insights/{metric}", params=params, headers=headers)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
                rows = len(r.json()["rows"])
            answer = statistics.median(times) * 1000
            floor = floor_ms(db, metric, interval, group)
            ratio = f"{answer / floor:.1f}x" if floor else "-"
            floor_text = f"{floor:.1f}" if floor is not None else "-"
            print(
                f"{metric:<15}{interval:<9}{group or '-':<12}{answer:>10.1f}{floor_text:>10}{ratio:>8}{rows:>7}"
            )
        print(
            f"sweep: {fold_n:,} events folded in {fold_seconds:.1f} s ({fold_n / fold_seconds:,.0f} events/s)"
        )
        if args.recount_people:
            # the recount behind consent-rates, reach, audience and expiring: the decision function over
            # everyone, on people seeded as the check bench seeds them (an email address each, preferences,
            # consents), after the answers above (it writes today's rows)
            pepper = base64.b64decode((var / "pepper.key").read_text())
            master = base64.b64decode((var / "master.key").read_text())
            populate("sqlite", settings.database.url, args.recount_people, pepper, master)
            best_wall = best_cpu = float("inf")
            for _ in range(3):
                wall, cpu = time.perf_counter(), time.process_time()
                pairs = await recount_reach(ctx, force=True)
                best_wall = min(best_wall, time.perf_counter() - wall)
                best_cpu = min(best_cpu, time.process_time() - cpu)
            per_million = best_cpu * 1_000_000 / args.recount_people
            print(
                f"recount: {args.recount_people:,} people x {pairs} (channel, topic) pairs in {best_wall:.2f} s"
                f" ({best_cpu:.2f} s CPU, best of 3): about {per_million:.0f} s of CPU per 1,000,000 people"
            )
        await client.aclose()
        await ctx.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--fold-events", type=int, default=200_000, help="events the sweep folds for its rate"
    )
    parser.add_argument(
        "--recount-people", type=int, default=50_000, help="people the recount walks for its cost (0: skip)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
