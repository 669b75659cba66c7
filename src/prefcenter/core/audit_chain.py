"""The hash-chained audit log (pure, no I/O). DESIGN section 3.

``hash = SHA-256(prev_hash || "\\n" || canonical_bytes(event))``. Sealed personal data
is hashed as ciphertext, so crypto-shredding a subject never breaks the chain.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from prefcenter.core.crypto import sign, verify_signature

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainEvent:
    seq: int
    occurred_at: str  # RFC 3339, exactly as stored
    subject_id: str | None
    type: str
    actor_type: str
    actor_id: str | None
    touchpoint: str | None
    data: dict
    sealed: bytes | None
    site: str | None = None  # the widget token's site; hashed only when set, so older events keep their hash


def canonical_bytes(event: ChainEvent) -> bytes:
    """Deterministic encoding of an event (dict keys sorted recursively): a JSON array, ``seq`` first."""
    return b"[%d," % event.seq + canonical_tail(event)


def canonical_tail(event: ChainEvent) -> bytes:
    """The canonical encoding after its ``[seq,``: what an event's bytes are before its place in the chain is
    known (PostgreSQL links them under the chain lock: migration 20261204_chain_append)."""
    sealed = base64.b64encode(event.sealed).decode("ascii") if event.sealed is not None else None
    fields = [
        event.occurred_at,
        event.subject_id,
        event.type,
        event.actor_type,
        event.actor_id,
        event.touchpoint,
        event.data,
        sealed,
    ]
    if event.site is not None:
        fields.append(event.site)
    return msgspec.json.encode(fields, order="sorted")[1:]


def chain_hash(prev_hash: str, event: ChainEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_bytes(event)).hexdigest()


@dataclass(slots=True)
class StoredEvent:
    event: ChainEvent
    prev_hash: str
    hash: str

    @property
    def seq(self) -> int:
        return self.event.seq


def link(prev_hash: str, event: ChainEvent) -> StoredEvent:
    """Convenience: the StoredEvent for appending ``event`` after ``prev_hash``."""
    return StoredEvent(event=event, prev_hash=prev_hash, hash=chain_hash(prev_hash, event))


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int  # events verified good (the bad one, if any, is not counted)
    head_seq: int | None  # last good event (or start_seq - 1 / None when none checked)
    head_hash: str  # hash of the last good event (or start_prev_hash)
    first_bad_seq: int | None  # seq stored on the first bad row
    problem: str | None


def verify_chain(
    events: Iterable[StoredEvent],
    *,
    start_prev_hash: str = GENESIS_HASH,
    start_seq: int | None = None,
) -> ChainReport:
    """Verify a chain segment in one streaming pass; stop at the first bad event.

    ``start_prev_hash`` is the hash the first event must link to (GENESIS_HASH for the
    whole log, or a verified checkpoint's head hash). ``start_seq``, if given, is the
    seq the first event must have. Seqs must increase by exactly 1: a gap means a row
    was deleted.
    """
    prev_hash = start_prev_hash
    prev_seq: int | None = start_seq - 1 if start_seq is not None else None
    checked = 0

    def bad(seq: int | None, problem: str) -> ChainReport:
        return ChainReport(
            ok=False,
            checked=checked,
            head_seq=prev_seq,
            head_hash=prev_hash,
            first_bad_seq=seq,
            problem=problem,
        )

    for stored in events:
        event = stored.event
        seq = event.seq
        if prev_seq is not None:
            if not isinstance(seq, int) or seq <= prev_seq:
                return bad(seq, f"sequence out of order after seq {prev_seq} (got {seq})")
            if seq != prev_seq + 1:
                return bad(seq, f"sequence gap after seq {prev_seq} (next is {seq})")
        if stored.prev_hash != prev_hash:
            if prev_seq is None or checked == 0:
                where = "the chain start" if start_seq is None else f"seq {prev_seq} (chain start)"
            else:
                where = f"seq {prev_seq}"
            return bad(seq, f"prev_hash does not link to {where}")
        try:
            expected = chain_hash(stored.prev_hash, event)
        except (msgspec.EncodeError, TypeError, ValueError, AttributeError) as exc:
            return bad(seq, f"event cannot be canonically encoded ({exc})")
        if stored.hash != expected:
            return bad(seq, "hash mismatch (row content altered)")
        prev_hash = stored.hash
        prev_seq = seq
        checked += 1

    return ChainReport(
        ok=True,
        checked=checked,
        head_seq=prev_seq,
        head_hash=prev_hash,
        first_bad_seq=None,
        problem=None,
    )


# --- signed checkpoints ---------------------------------------------------------------


def checkpoint_message(seq: int, head_hash: str, signed_at: str) -> bytes:
    return f"prefcenter-checkpoint:v1:{seq}:{head_hash}:{signed_at}".encode()


def sign_checkpoint(private_raw: bytes, seq: int, head_hash: str, signed_at: str) -> bytes:
    return sign(private_raw, checkpoint_message(seq, head_hash, signed_at))


def verify_checkpoint(public_raw: bytes, seq: int, head_hash: str, signed_at: str, signature: bytes) -> bool:
    return verify_signature(public_raw, checkpoint_message(seq, head_hash, signed_at), signature)
