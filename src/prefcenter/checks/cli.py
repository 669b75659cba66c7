"""``prefcenter check``: decide a recipient list (CSV in, CSV out) for operators, with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from prefcenter.checks.schemas import CheckResult
from prefcenter.cli_arguments import single_line
from prefcenter.cli_support import CommandError, run_command
from prefcenter.core.csv_cells import neutralise_row
from prefcenter.private_files import open_private

CHUNK = 5000
OUTPUT_FIELDS = (
    "subject",
    "allowed",
    "reason",
    "subject_id",
    "consent_id",
    "notice_version",
    "preference",
    "error",
)


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check",
        help="decide a recipient list: CSV on stdin, decisions as CSV on stdout",
        description=(
            "Reads recipients (a `subject` column, or the first column: prefcenter id, external_id:<id> or "
            "an identity such as email:ann@example.com; optional `channel`/`topic` columns) and writes one "
            "decision per row, in order."
        ),
    )
    check.add_argument("--channel", type=single_line, help="channel for rows without one, e.g. email")
    check.add_argument("--topic", type=single_line, help="topic for rows without one, e.g. newsletter")
    check.add_argument("--input", default="-", help="CSV file (default: stdin)")
    check.add_argument("--output", default="-", help="CSV file (default: stdout)")
    check.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    check.set_defaults(func=cmd_check)


def read_recipients(stream: TextIO) -> Iterator[tuple[str, str | None, str | None]]:
    reader = csv.reader(stream)
    first = next(reader, None)
    if first is None:
        return
    lowered = [c.strip().lower() for c in first]
    if "subject" in lowered:
        s_col = lowered.index("subject")
        c_col = lowered.index("channel") if "channel" in lowered else None
        t_col = lowered.index("topic") if "topic" in lowered else None
        rows = reader
    else:
        s_col, c_col, t_col = 0, None, None
        rows = _prepend(first, reader)
    for row in rows:
        if not row or not any(cell.strip() for cell in row):
            continue
        subject = row[s_col].strip() if s_col < len(row) else ""
        channel = row[c_col].strip() or None if c_col is not None and c_col < len(row) else None
        topic = row[t_col].strip() or None if t_col is not None and t_col < len(row) else None
        yield subject, channel, topic


def _prepend(first, rest):
    yield first
    yield from rest


def result_row(subject: str, result: CheckResult) -> list:
    """One output row; text cells neutralised for spreadsheets (``core/csv_cells.py``): the subject is
    echoed from the input and the error text may quote it."""
    ev = result.evidence
    return neutralise_row(
        [
            subject,
            "" if result.allowed is None else ("true" if result.allowed else "false"),
            result.reason or "",
            result.subject_id or "",
            (ev.consent_id if ev else None) or "",
            (ev.notice_version if ev else None) or "",
            (ev.preference if ev else None) or "",
            result.error.detail if result.error else "",
        ]
    )


async def run_check(ctx, source: TextIO, sink: TextIO, channel, topic, progress=None) -> tuple[int, int]:
    """Decide every recipient row; rows are written in input order. The batches are answered by the check
    worker processes (checks/worker_pool.py, ``PREFCENTER_CHECK_WORKERS``), a few in flight at a time."""
    from prefcenter.checks.service import CheckRun
    from prefcenter.checks.worker_pool import check_workers, close_check_workers
    from prefcenter.store.projections import projection_reader
    from prefcenter.store.unit_of_work import utcnow

    run = CheckRun(projection_reader(ctx.db), ctx.keys.pepper, utcnow())
    workers = check_workers(ctx)
    depth = workers.depth if workers is not None else 1
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(OUTPUT_FIELDS)
    total = allowed = 0
    pending: deque[tuple[list, asyncio.Future[list[CheckResult]]]] = deque()

    def submit(batch: list[tuple[str, str | None, str | None]]) -> None:
        decided = (
            workers.decide_items(run, batch, channel, topic)
            if workers is not None
            else run.decide_items(batch, channel, topic)
        )
        pending.append((batch, asyncio.ensure_future(decided)))

    async def write_oldest() -> None:
        nonlocal total, allowed
        batch, decided = pending.popleft()
        results = await decided
        writer.writerows(result_row(item[0], r) for item, r in zip(batch, results, strict=True))
        total += len(batch)
        allowed += sum(1 for r in results if r.allowed)
        if progress is not None:
            progress(len(batch))

    try:
        batch: list[tuple[str, str | None, str | None]] = []
        for item in read_recipients(source):
            batch.append(item)
            if len(batch) >= CHUNK:
                submit(batch)
                batch = []
                if len(pending) >= depth:
                    await write_oldest()
        if batch:
            submit(batch)
        while pending:
            await write_oldest()
    finally:
        for _batch, decided in pending:
            decided.cancel()
        close_check_workers(ctx)
    return total, allowed


def cmd_check(args: argparse.Namespace) -> int:

    if (args.channel is None) != (args.topic is None):
        raise CommandError("give both --channel and --topic (or neither, with channel/topic columns)")
    source = sys.stdin if args.input == "-" else open(args.input, newline="")  # noqa: SIM115
    # decisions name people: an output file is owner-only (0600), like everything prefcenter writes
    sink = sys.stdout if args.output == "-" else open_private(Path(args.output), newline="")
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    try:
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("checking"),
                BarColumn(),
                TextColumn("{task.completed:,} recipients"),
                TimeElapsedColumn(),
                transient=False,
                console=_stderr_console(),
            ) as bar:
                task = bar.add_task("check", total=None)
                total, allowed = run_command(
                    lambda ctx: run_check(
                        ctx, source, sink, args.channel, args.topic, lambda n: bar.advance(task, n)
                    )
                )
        else:
            total, allowed = run_command(lambda ctx: run_check(ctx, source, sink, args.channel, args.topic))
    finally:
        if source is not sys.stdin:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    print(f"{total} recipients checked: {allowed} allowed, {total - allowed} not", file=sys.stderr)
    return 0


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
