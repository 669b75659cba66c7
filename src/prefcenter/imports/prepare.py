"""The per-row work of an import that needs no database, done ahead of the chunk transaction.

For every raw row: parse it, its row key, its identities normalised and lookup-hashed, time-ordered ids
for what it may insert, and a *fresh subject* -- a new data key, wrapped, and the row's identities and
event payload sealed with it -- for the case that the row matches no existing subject (the usual case of
an import). The chunk transaction (``service.py``) decides which rows create their subject; a row that
matches an existing one is sealed there with that subject's key instead, and its fresh subject is dropped.

Pure (keys in, bytes out), so batches can be prepared in worker processes (``workers.py``) while the one
writer applies and writes chunks; a batch comes back as msgpack bytes, cheap to ship and to decode.
"""

from __future__ import annotations

import os
import time

import msgspec

from prefcenter.core import crypto
from prefcenter.core.normalise import InvalidIdentity, suppression_forms
from prefcenter.imports.schemas import ImportRecord
from prefcenter.imports.source import RawBatch, RowError, parse_row, row_key


class TimeOrderedIds:
    """RFC 9562 version-7 UUIDs (48-bit Unix milliseconds, a 12-bit counter, 62 random bits), increasing
    within the process. Imported subjects, identities and consents get these instead of uuid4 so that the
    primary keys and the ``subject_id`` indexes of the bulk inserts grow at their right edge rather than
    dirtying a random page per row (which is what makes big imports slow on either engine). Ids made by
    different worker processes interleave within a millisecond; the random bits keep them unique."""

    _RAND = (1 << 62) - 1

    def __init__(self) -> None:
        self._ms = 0
        self._seq = 0
        self._pool = b""
        self._at = 0

    def __call__(self) -> str:
        ms = time.time_ns() // 1_000_000
        if ms > self._ms:
            self._ms, self._seq = ms, 0
        else:
            self._seq += 1
            if self._seq > 0xFFF:
                self._ms, self._seq = self._ms + 1, 0
        if self._at >= len(self._pool):
            self._pool, self._at = os.urandom(8 * 1024), 0
        rand = int.from_bytes(self._pool[self._at : self._at + 8]) & self._RAND
        self._at += 8
        h = "%032x" % ((self._ms << 80) | (7 << 76) | (self._seq << 64) | (2 << 62) | rand)  # noqa: UP031
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Fresh(msgspec.Struct, array_like=True, gc=False):
    """A new subject for a row, used if the row matches no existing subject."""

    id: str
    data_key: bytes
    wrapped_key: bytes
    sealed_identities: list[bytes]  # each identity's value, sealed with ``data_key`` (AAD: the subject id)
    sealed_event: bytes | None  # the ``import.row`` event's personal fields, sealed with ``data_key``


class Prepared(msgspec.Struct, array_like=True, gc=False):
    line: int
    key: str  # the row key
    record: ImportRecord
    identities: list[tuple[str, str, str]]  # (kind, lookup hash, normalised value), deduplicated
    identity_ids: list[str]  # an id for each identity, should it be new
    consent_ids: list[str]  # an id for each consent of the record
    invalid: str | None  # why an identity cannot be normalised (the row is rejected), else None
    fresh: Fresh | None  # None when ``invalid``
    # lookup hashes of identities under the legacy normalisation rule, where it differs: only matched
    # against erasure suppression entries written before the rule changed
    legacy_hashes: list[str] = []


class PreparedBatch(msgspec.Struct, array_like=True, gc=False):
    rows: list[Prepared]
    unreadable: list[tuple[int, str]]  # (line, reason): rows that are not a record at all


_encode = msgspec.msgpack.Encoder().encode
decode_batch = msgspec.msgpack.Decoder(PreparedBatch).decode


def identities_of(record: ImportRecord) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The record's identities as normalised ``(kind, value)`` pairs, each once, and the ``(kind, value)``
    pairs under the legacy rule where it differs; ``InvalidIdentity`` names the kind that cannot be
    normalised."""
    raw = [(i.kind, i.value) for i in record.identities]
    if record.email:
        raw.append(("email", record.email))
    if record.phone:
        raw.append(("phone", record.phone))
    out: list[tuple[str, str]] = []
    legacy: list[tuple[str, str]] = []
    for kind, value in raw:
        try:
            current, *older = suppression_forms(kind, value)
        except InvalidIdentity as exc:
            raise InvalidIdentity(f"{kind}: {exc}", kind=kind) from None
        if (kind, current) not in out:
            out.append((kind, current))
        legacy.extend((kind, form) for form in older)
    return out, legacy


def sealed_event_fields(data_key: bytes, identities: list[tuple[str, str, str]]) -> bytes | None:
    """The personal fields of a row's ``import.row`` event (its identities), sealed with the subject's key."""
    if not identities:
        return None
    return crypto.seal_json(data_key, {"identities": [[kind, value] for kind, _, value in identities]})


class Preparer:
    """Prepares raw batches with the installation's pepper and master key (one per worker process)."""

    def __init__(self, pepper: bytes, master_key: bytes) -> None:
        self.keys = (pepper, master_key)
        self._pepper = pepper
        self._master_key = master_key
        self._new_id = TimeOrderedIds()

    def __call__(self, batch: RawBatch) -> bytes:
        fmt, header, numbers, raws = batch
        rows: list[Prepared] = []
        unreadable: list[tuple[int, str]] = []
        new_id = self._new_id
        for line, raw in zip(numbers, raws, strict=True):
            try:
                record = parse_row(fmt, header, raw)
            except RowError as exc:
                unreadable.append((line, str(exc)))
                continue
            if record is None:
                continue
            invalid = None
            try:
                pairs, legacy_pairs = identities_of(record)
            except InvalidIdentity as exc:
                invalid, pairs, legacy_pairs = str(exc), [], []
            identities = [
                (kind, crypto.lookup_hash(self._pepper, kind, value), value) for kind, value in pairs
            ]
            rows.append(
                Prepared(
                    line,
                    row_key(record),
                    record,
                    identities,
                    [new_id() for _ in identities],
                    [new_id() for _ in record.consents],
                    invalid,
                    None if invalid else self._fresh(new_id(), identities),
                    [crypto.lookup_hash(self._pepper, kind, value) for kind, value in legacy_pairs],
                )
            )
        return _encode(PreparedBatch(rows, unreadable))

    def _fresh(self, sid: str, identities: list[tuple[str, str, str]]) -> Fresh:
        data_key = crypto.new_data_key()
        aad = sid.encode()
        return Fresh(
            sid,
            data_key,
            crypto.wrap_key(self._master_key, data_key, sid),
            [crypto.seal(data_key, value.encode(), aad=aad) for _, _, value in identities],
            sealed_event_fields(data_key, identities),
        )
