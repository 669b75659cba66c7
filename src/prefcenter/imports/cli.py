"""``prefcenter import FILE``: stream a CSV/NDJSON file into prefcenter with a progress bar and a report."""

from __future__ import annotations

import argparse
import csv
import os
import sys
import textwrap
from pathlib import Path
from typing import get_args

from prefcenter.cli_support import CommandError, run_command
from prefcenter.core.csv_cells import neutralise_row
from prefcenter.imports.source import CSV_CONSENT_COLUMNS, CSV_PREFERENCE_COLUMNS, CSV_SUBJECT_COLUMNS
from prefcenter.private_files import open_private
from prefcenter.vocabulary import ConsentMethod, IdentityKind, Touchpoint


def _listed(label: str, words) -> str:
    return textwrap.fill(
        ", ".join(words), width=100, initial_indent=f"  {label:<12}", subsequent_indent=" " * 14
    )


FORMAT_HELP = f"""\
The file format (a file named *.ndjson, *.jsonl or *.json is NDJSON, anything else CSV):

CSV (UTF-8, a byte order mark is fine): the first row names the columns, in any order, case-insensitive.
Every column is optional and an empty cell counts as absent. A row describes one subject and at most one
preference and one consent; several rows may describe the same subject.
{_listed("subject", CSV_SUBJECT_COLUMNS)}
              (do_not_contact: true, 1 or yes; anything else is false)
{_listed("preference", CSV_PREFERENCE_COLUMNS)}
              (channel key; topic key, or * or empty for the whole channel; status opted_in or
              opted_out; updated_at RFC 3339)
{_listed("consent", CSV_CONSENT_COLUMNS)}
              (consent_channels: channel keys separated by |; granted_at RFC 3339, required;
              notice_version: default the topic's latest; method: default import; touchpoint: where
              it was given, default import; consent_status granted or withdrawn, withdrawn needs
              withdrawn_at)

NDJSON: one JSON object per line, blank lines skipped:
  {{"external_id": "...", "email": "...", "phone": "...",
   "identities": [{{"kind": "...", "value": "..."}}],
   "do_not_contact": true,
   "preferences": [{{"channel": "...", "topic": "... or *", "status": "...", "updated_at": "..."}}],
   "consents": [{{"topic": "...", "channels": ["..."], "granted_at": "...", "notice_version": 1,
                 "method": "...", "touchpoint": "...", "status": "granted", "withdrawn_at": "..."}}]}}
  Every field is optional except kind and value in an identity; channel, topic and status in a
  preference; topic, channels and granted_at in a consent. Meanings and defaults as for CSV.

Words:
{_listed("identities", get_args(IdentityKind))}
{_listed("methods", get_args(ConsentMethod))}
{_listed("touchpoints", get_args(Touchpoint))}
{_listed("channels", ["the catalog's channel keys"])}
{_listed("topics", ["the catalog's topic keys"])}

Every row needs an external_id or an identity; rows are matched to subjects by either.
Unknown names are refused, never ignored: an unknown (or unnamed, or repeated) CSV column refuses the
whole file before anything is imported; an unknown NDJSON field rejects its line. Rejected rows are
written to the report (line,reason) and nothing of them is applied; the other rows are imported.

Exit status: 0 rows imported (or imported by an earlier run), 1 rows were rejected and none imported,
2 the file was refused.
"""


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "import",
        help="import identities, preferences and consents from CSV or NDJSON (idempotent, resumable)",
        description="Import identities, preferences and consents from a CSV or NDJSON file. Each chunk is "
        "one transaction and every row is imported once, so a run can be repeated after a crash.",
        epilog=FORMAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("file", type=Path)
    cmd.add_argument("--format", choices=["csv", "ndjson"], help="default: from the file name")
    cmd.add_argument(
        "--report", type=Path, help="rejected rows (line,reason), written 0600; default FILE.rejected.csv"
    )
    cmd.add_argument("--chunk", type=int, default=5000, help="rows per transaction (default 5000)")
    cmd.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that parse, hash and seal rows beside the one writer (default: one per core; 0: none)",
    )
    cmd.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    cmd.set_defaults(func=cmd_import)


def write_reject_report(path: Path, rejected: list[tuple[int, str]]) -> None:
    """``line,reason`` per rejected row: owner-only (0600), as a reason may quote the row, and with
    cells neutralised (``core/csv_cells.py``), as the report is opened in spreadsheets."""
    with open_private(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason"])
        writer.writerows(neutralise_row(row) for row in rejected)


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
    from prefcenter.imports.service import import_file
    from prefcenter.imports.source import UnusableHeader, detect_format
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
                    report = run_command(
                        lambda ctx: import_file(ctx, stream, fmt, path.name, chunk=args.chunk, pool=pool)
                    )
            else:
                report = run_command(
                    lambda ctx: import_file(ctx, raw, fmt, path.name, chunk=args.chunk, pool=pool)
                )
    except UnusableHeader as exc:
        raise CommandError(f"{path}: {exc}; nothing was imported") from None
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if report.rejected:
        write_reject_report(report_path, report.rejected)
    print(
        f"{report.imported} rows imported, {report.skipped} already imported, {len(report.rejected)} rejected"
        + (f" (see {report_path})" if report.rejected else ""),
        file=sys.stderr,
    )
    return 1 if report.rejected and not report.imported and not report.skipped else 0
