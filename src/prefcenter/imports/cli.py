"""``prefcenter import FILE``: stream a CSV/NDJSON file into prefcenter with a progress bar and a report."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "import",
        help="import identities, preferences and consents from CSV or NDJSON (idempotent, resumable)",
    )
    cmd.add_argument("file", type=Path)
    cmd.add_argument("--format", choices=["csv", "ndjson"], help="default: from the file name")
    cmd.add_argument("--report", type=Path, help="rejected rows (line,reason); default FILE.rejected.csv")
    cmd.add_argument("--chunk", type=int, default=5000, help="rows per transaction (default 5000)")
    cmd.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that parse, hash and seal rows beside the one writer (default: one per core; 0: none)",
    )
    cmd.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    cmd.set_defaults(func=cmd_import)


class _CountingReader:
    """Wraps the file to report bytes read to the progress bar (in steps of 256 KiB, not per line)."""

    STEP = 256 * 1024

    def __init__(self, raw, advance) -> None:
        self.raw, self.advance = raw, advance

    def __iter__(self):
        pending = 0
        for line in self.raw:
            pending += len(line)
            if pending >= self.STEP:
                self.advance(pending)
                pending = 0
            yield line
        self.advance(pending)

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def read(self, *args):
        data = self.raw.read(*args)
        self.advance(len(data))
        return data

    def readable(self) -> bool:
        return True

    def read1(self, *args):
        data = self.raw.read1(*args)
        self.advance(len(data))
        return data


def cmd_import(args: argparse.Namespace) -> int:
    from prefcenter.cli import CommandError, _run
    from prefcenter.imports.service import import_file
    from prefcenter.imports.source import detect_format
    from prefcenter.imports.workers import start_pool

    path: Path = args.file
    if not path.is_file():
        raise CommandError(f"{path} is not a file")
    fmt = detect_format(path, args.format)
    report_path = args.report or path.with_name(path.name + ".rejected.csv")
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    size = path.stat().st_size
    pool = start_pool(args.workers) if args.workers > 0 else None  # before the event loop starts threads
    try:
        with open(path, "rb") as raw:
            if show:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    DownloadColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                with Progress(
                    TextColumn("importing"),
                    BarColumn(),
                    DownloadColumn(),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                ) as bar:
                    task = bar.add_task("import", total=size)
                    stream = _CountingReader(raw, lambda n: bar.advance(task, n))
                    report = _run(
                        lambda ctx: import_file(ctx, stream, fmt, path.name, chunk=args.chunk, pool=pool)
                    )
            else:
                report = _run(lambda ctx: import_file(ctx, raw, fmt, path.name, chunk=args.chunk, pool=pool))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if report.rejected:
        with open(report_path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reason"])
            writer.writerows(report.rejected)
    print(
        f"{report.imported} rows imported, {report.skipped} already imported, {len(report.rejected)} rejected"
        + (f" (see {report_path})" if report.rejected else ""),
        file=sys.stderr,
    )
    return 1 if report.rejected and not report.imported and not report.skipped else 0
