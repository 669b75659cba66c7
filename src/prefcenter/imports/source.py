"""Reading an import file: raw rows in batches (never the whole file), and one raw row into an ``ImportRecord``.

CSV columns (all optional, empty cells ignored): ``external_id, email, phone, do_not_contact`` for the
subject; ``channel, topic, status[, updated_at]`` for one preference; ``consent_topic, consent_channels``
(``|``-separated), ``granted_at, notice_version, method, touchpoint, consent_status, withdrawn_at`` for one
consent. Several rows may describe the same subject (matched by external id or identity).

Unknown names are refused, never ignored (a misspelt ``consent_topic`` must not import subjects without
their consent): a CSV file names its columns once, in its header, so an unknown, unnamed or repeated
column refuses the whole file before any row is read (``UnusableHeader``); an NDJSON line names its
fields itself, so an unknown field rejects that line, with a reason naming the field. A CSV row with
more cells than the header has columns is rejected the same way.

Splitting the file into rows happens where the file is read (CSV fields may span lines); parsing a row
happens wherever the batch is prepared (``prepare.py``, possibly in another process), so a batch is plain
data: ``(format, CSV header, line numbers, raw rows)``.

The row key is the SHA-256 of the record's canonical JSON: the same fact imported twice is one row.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from prefcenter.imports.schemas import ImportRecord

_decoder = msgspec.json.Decoder(ImportRecord)
_encoder = msgspec.json.Encoder(order="sorted")
MAX_LINE = 64_000
BATCH = 500  # raw rows per batch handed to a preparer

# (format, CSV header or None, line numbers, raw rows: NDJSON lines as bytes or CSV rows as cell lists)
RawBatch = tuple[str, list[str] | None, list[int], list]


CSV_SUBJECT_COLUMNS = ("external_id", "email", "phone", "do_not_contact")
CSV_PREFERENCE_COLUMNS = ("channel", "topic", "status", "updated_at")
CSV_CONSENT_COLUMNS = (
    "consent_topic",
    "consent_channels",
    "granted_at",
    "notice_version",
    "method",
    "touchpoint",
    "consent_status",
    "withdrawn_at",
)
CSV_COLUMNS = CSV_SUBJECT_COLUMNS + CSV_PREFERENCE_COLUMNS + CSV_CONSENT_COLUMNS


class RowError(Exception):
    pass


class UnusableHeader(ValueError):
    """The CSV header names a column the import does not know (or none, or one twice): nothing is read."""


def check_header(header: list[str]) -> None:
    """Refuse a header with an unknown, unnamed or repeated column, naming every one of them."""
    names = [name.strip().lower() for name in header]
    problems = []
    unknown = [name for name in names if name and name not in CSV_COLUMNS]
    if unknown:
        problems.append(
            ("unknown columns " if len(unknown) > 1 else "unknown column ")
            + ", ".join(repr(name) for name in unknown)
        )
    unnamed = [str(position) for position, name in enumerate(names, start=1) if not name]
    if unnamed:
        problems.append(
            f"column {', '.join(unnamed)} of the header {'has' if len(unnamed) == 1 else 'have'} no name"
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        problems.append(", ".join(repr(name) for name in repeated) + " named more than once")
    if problems:
        raise UnusableHeader(
            f"the CSV header is refused: {'; '.join(problems)}. Known columns: {', '.join(CSV_COLUMNS)}"
        )


def row_key(record: ImportRecord) -> str:
    return hashlib.sha256(_encoder.encode(record)).hexdigest()


def read_batches(stream: BinaryIO, fmt: str, size: int = BATCH) -> Iterator[RawBatch]:
    """Lines are numbered from 1 (NDJSON: physical lines, blank ones skipped; CSV: records, the header is 1
    and empty records are not counted, as ``csv.DictReader`` numbers them)."""
    numbers: list[int] = []
    rows: list = []
    if fmt == "ndjson":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            numbers.append(number)
            rows.append(line)
            if len(rows) >= size:
                yield fmt, None, numbers, rows
                numbers, rows = [], []
        if rows:
            yield fmt, None, numbers, rows
        return
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    header = next(reader, None)
    if header is None:
        return
    check_header(header)
    number = 1
    for row in reader:
        if not row:
            continue
        number += 1
        numbers.append(number)
        rows.append(row)
        if len(rows) >= size:
            yield fmt, header, numbers, rows
            numbers, rows = [], []
    if rows:
        yield fmt, header, numbers, rows


def parse_row(fmt: str, header: list[str] | None, raw) -> ImportRecord | None:
    """One raw row as a record; None for a CSV row with nothing in it; ``RowError`` if it is unreadable."""
    if fmt == "ndjson":
        if len(raw) > MAX_LINE:
            raise RowError("line is too long")
        try:
            return _decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise RowError(str(exc)) from None
    assert header is not None
    row = _csv_dict(header, raw)
    if any(cell.strip() for cell in row.get(None, ())):  # cells under no column: refused, not ignored
        raise RowError(f"the row has {len(raw)} cells but the header names {len(header)} columns")
    if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
        return None
    try:
        return _from_csv(row)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise RowError(str(exc)) from None


def _csv_dict(header: list[str], row: list[str]) -> dict:
    """What ``csv.DictReader`` makes of ``row`` (extra cells under the key None, missing ones None)."""
    cells: dict = dict(zip(header, row, strict=False))
    if len(header) < len(row):
        cells[None] = row[len(header) :]
    else:
        for key in header[len(row) :]:
            cells[key] = None
    return cells


def _from_csv(row: dict) -> ImportRecord:
    cell = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
    data: dict = {}
    for key in ("external_id", "email", "phone"):
        if cell.get(key):
            data[key] = cell[key]
    if cell.get("do_not_contact"):
        data["do_not_contact"] = cell["do_not_contact"].lower() in ("1", "true", "yes")
    if cell.get("channel") or cell.get("topic") or cell.get("status"):
        pref = {
            "channel": cell.get("channel"),
            "topic": cell.get("topic") or "*",
            "status": cell.get("status"),
        }
        if cell.get("updated_at"):
            pref["updated_at"] = cell["updated_at"]
        data["preferences"] = [pref]
    if cell.get("consent_topic"):
        consent = {
            "topic": cell["consent_topic"],
            "channels": [c for c in cell.get("consent_channels", "").split("|") if c],
            "granted_at": cell.get("granted_at") or None,
        }
        for src, dst in (
            ("notice_version", "notice_version"),
            ("method", "method"),
            ("touchpoint", "touchpoint"),
            ("consent_status", "status"),
            ("withdrawn_at", "withdrawn_at"),
        ):
            if cell.get(src):
                consent[dst] = (
                    int(cell[src]) if dst == "notice_version" and cell[src].isdigit() else cell[src]
                )
        data["consents"] = [consent]
    return msgspec.convert(data, ImportRecord, strict=False)


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    return "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl", ".json") else "csv"
