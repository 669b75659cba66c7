"""Reading an import file as a stream of ``(line, record | error, row_key)``: CSV or NDJSON, never all at once.

CSV columns (all optional, empty cells ignored): ``external_id, email, phone, do_not_contact`` for the
subject; ``channel, topic, status[, updated_at]`` for one preference; ``consent_topic, consent_channels``
(``|``-separated), ``granted_at, notice_version, method, touchpoint, consent_status, withdrawn_at`` for one
consent. Several rows may describe the same subject (matched by external id or identity).

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


class RowError(Exception):
    pass


def row_key(record: ImportRecord) -> str:
    return hashlib.sha256(_encoder.encode(record)).hexdigest()


def _from_csv(row: dict[str, str]) -> ImportRecord:
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


def read_records(stream: BinaryIO, fmt: str) -> Iterator[tuple[int, ImportRecord | RowError]]:
    """Lines are numbered from 1 (CSV: the header is line 1)."""
    if fmt == "ndjson":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                yield number, RowError("line is too long")
                continue
            try:
                yield number, _decoder.decode(line)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                yield number, RowError(str(exc))
        return
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    for number, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            yield number, _from_csv(row)
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            yield number, RowError(str(exc))


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    return "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl", ".json") else "csv"
