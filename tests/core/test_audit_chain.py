import base64
import dataclasses
import hashlib

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.audit_chain import (
    GENESIS_HASH,
    ChainEvent,
    ChainReport,
    StoredEvent,
    canonical_bytes,
    canonical_tail,
    chain_hash,
    checkpoint_message,
    sign_checkpoint,
    verify_chain,
    verify_checkpoint,
)
from prefcenter.core.crypto import new_signing_key, public_key_of

# --- helpers -------------------------------------------------------------------------


def build_chain(events, prev=GENESIS_HASH):
    out = []
    for ev in events:
        h = chain_hash(prev, ev)
        out.append(StoredEvent(event=ev, prev_hash=prev, hash=h))
        prev = h
    return out


def ev(seq, **kw):
    base = dict(
        seq=seq,
        occurred_at="2025-01-01T00:00:00Z",
        subject_id="s1",
        type="preference.set",
        actor_type="customer",
        actor_id=None,
        touchpoint="web",
        data={"channel": "email"},
        sealed=None,
    )
    base.update(kw)
    return ChainEvent(**base)


class OnceIterable:
    """An iterable that can be iterated only once (verify_chain must stream)."""

    def __init__(self, items):
        self._it = iter(items)
        self.used = False

    def __iter__(self):
        assert not self.used, "iterated twice"
        self.used = True
        return self._it


# --- strategies ----------------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=10)
json_data = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        json_leaf,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=6,
    ),
    max_size=4,
)
opt_text = st.none() | st.text(max_size=12)


@st.composite
def event_bodies(draw, seq):
    return ChainEvent(
        seq=seq,
        occurred_at=draw(st.text(max_size=25)),
        subject_id=draw(opt_text),
        type=draw(st.sampled_from(["preference.set", "consent.granted", "subject.erased", "x"])),
        actor_type=draw(st.sampled_from(["customer", "agent", "client", "system"])),
        actor_id=draw(opt_text),
        touchpoint=draw(opt_text),
        data=draw(json_data),
        sealed=draw(st.none() | st.binary(max_size=40)),
    )


@st.composite
def chains(draw, min_size=1, max_size=12):
    start = draw(st.integers(1, 1000))
    n = draw(st.integers(min_size, max_size))
    return [draw(event_bodies(start + i)) for i in range(n)]


# --- canonical encoding -------------------------------------------------------------


def test_canonical_bytes_exact():
    e = ev(7, data={"b": 1, "a": {"d": 2, "c": [3, {"z": 1, "y": 2}]}}, sealed=b"\x00\xff")
    assert canonical_bytes(e) == (
        b'[7,"2025-01-01T00:00:00Z","s1","preference.set","customer",null,"web",'
        b'{"a":{"c":[3,{"y":2,"z":1}],"d":2},"b":1},"AP8="]'
    )


def test_canonical_bytes_independent_of_dict_order():
    a = ev(1, data={"x": 1, "y": {"b": 2, "a": 1}})
    b = ev(1, data={"y": {"a": 1, "b": 2}, "x": 1})
    assert canonical_bytes(a) == canonical_bytes(b)
    assert chain_hash(GENESIS_HASH, a) == chain_hash(GENESIS_HASH, b)


def test_chain_hash_definition():
    e = ev(1)
    expected = hashlib.sha256(GENESIS_HASH.encode() + b"\n" + canonical_bytes(e)).hexdigest()
    assert chain_hash(GENESIS_HASH, e) == expected
    assert GENESIS_HASH == "0" * 64


@given(st.integers(1, 2**62).flatmap(event_bodies), st.none() | st.text(max_size=8))
def test_canonical_bytes_are_the_whole_array_and_the_tail_follows_the_seq(body, site):
    """The encoding every stored hash was made with (one JSON array of the fields, keys sorted), and the tail
    PostgreSQL's chain function hashes after ``[seq,`` (migration 20261204_chain_append)."""
    e = dataclasses.replace(body, site=site)
    sealed = None if e.sealed is None else base64.b64encode(e.sealed).decode("ascii")
    fields = [
        e.seq,
        e.occurred_at,
        e.subject_id,
        e.type,
        e.actor_type,
        e.actor_id,
        e.touchpoint,
        e.data,
        sealed,
    ]
    if site is not None:
        fields.append(site)
    whole = msgspec.json.encode(fields, order="sorted")
    assert canonical_bytes(e) == whole
    assert whole == b"[" + str(e.seq).encode() + b"," + canonical_tail(e)


def test_sealed_none_vs_empty_differ():
    assert canonical_bytes(ev(1, sealed=None)) != canonical_bytes(ev(1, sealed=b""))


# --- verify_chain: examples -------------------------------------------------------------


def test_empty_chain():
    r = verify_chain([])
    assert r == ChainReport(True, 0, None, GENESIS_HASH, None, None)
    r = verify_chain([], start_prev_hash="ab" * 32, start_seq=5)
    assert r.ok and r.head_seq == 4 and r.head_hash == "ab" * 32


def test_good_chain_report():
    chain = build_chain([ev(i) for i in range(1, 6)])
    r = verify_chain(OnceIterable(chain))
    assert r.ok and r.checked == 5 and r.head_seq == 5 and r.head_hash == chain[-1].hash
    assert r.first_bad_seq is None and r.problem is None


def test_verify_segment_from_checkpoint():
    chain = build_chain([ev(i) for i in range(1, 11)])
    r = verify_chain(chain[4:], start_prev_hash=chain[3].hash, start_seq=5)
    assert r.ok and r.checked == 6 and r.head_seq == 10
    r = verify_chain(chain[5:], start_prev_hash=chain[3].hash, start_seq=5)
    assert not r.ok and r.first_bad_seq == 6 and "gap after seq 4" in r.problem
    r = verify_chain(chain[4:], start_prev_hash=chain[2].hash, start_seq=5)
    assert not r.ok and r.first_bad_seq == 5 and "prev_hash does not link" in r.problem


def test_altered_row_problem_text():
    chain = build_chain([ev(i) for i in range(1, 6)])
    chain[2] = dataclasses.replace(
        chain[2], event=dataclasses.replace(chain[2].event, type="consent.granted")
    )
    r = verify_chain(chain)
    assert not r.ok
    assert r.first_bad_seq == 3 and r.problem == "hash mismatch (row content altered)"
    assert r.checked == 2 and r.head_seq == 2 and r.head_hash == chain[1].hash


def test_deleted_row_problem_text():
    chain = build_chain([ev(i) for i in range(1, 6)])
    del chain[2]
    r = verify_chain(chain)
    assert not r.ok and r.first_bad_seq == 4 and r.problem.startswith("sequence gap after seq 2")


def test_relinked_row_problem_text():
    chain = build_chain([ev(i) for i in range(1, 6)])
    chain[3] = dataclasses.replace(chain[3], prev_hash="f" * 64)
    r = verify_chain(chain)
    assert not r.ok and r.first_bad_seq == 4 and r.problem == "prev_hash does not link to seq 3"


def test_first_event_must_link_to_genesis():
    chain = build_chain([ev(i) for i in range(1, 4)], prev="1" * 64)
    r = verify_chain(chain)
    assert not r.ok and r.first_bad_seq == 1 and "chain start" in r.problem


def test_unencodable_event_is_reported_not_raised():
    chain = build_chain([ev(1)])
    bad = StoredEvent(event=ev(2, data={"x": object()}), prev_hash=chain[0].hash, hash="0" * 64)
    r = verify_chain([*chain, bad])
    assert not r.ok and r.first_bad_seq == 2 and "encod" in r.problem


def test_stops_at_first_bad_and_does_not_consume_rest():
    chain = build_chain([ev(i) for i in range(1, 6)])
    chain[1] = dataclasses.replace(chain[1], hash="0" * 64)
    consumed = []

    def gen():
        for s in chain:
            consumed.append(s.event.seq)
            yield s

    r = verify_chain(gen())
    assert r.first_bad_seq == 2 and consumed == [1, 2]


# --- verify_chain: properties -------------------------------------------------------------


@settings(max_examples=60)
@given(chains(min_size=0))
def test_any_generated_chain_verifies(events):
    chain = build_chain(events)
    start = events[0].seq if events else None
    r = verify_chain(OnceIterable(chain), start_seq=start)
    assert r.ok and r.checked == len(events)
    assert r.head_hash == (chain[-1].hash if chain else GENESIS_HASH)
    assert verify_chain(iter(chain)).ok


EVENT_FIELDS = [f.name for f in dataclasses.fields(ChainEvent)]


def _mutate(value, field, draw):
    if field == "seq":
        return draw(st.integers(-5, 2000).filter(lambda v: v != value))
    if field == "data":
        return draw(json_data.filter(lambda v: v != value))
    if field == "sealed":
        return draw((st.none() | st.binary(max_size=40)).filter(lambda v: v != value))
    if field in ("subject_id", "actor_id", "touchpoint"):
        return draw(opt_text.filter(lambda v: v != value))
    return draw(st.text(max_size=25).filter(lambda v: v != value))


@settings(max_examples=120)
@given(chains(), st.data())
def test_altering_any_field_is_detected(events, data):
    chain = build_chain(events)
    i = data.draw(st.integers(0, len(chain) - 1))
    target = data.draw(st.sampled_from([*EVENT_FIELDS, "prev_hash", "hash"]))
    s = chain[i]
    if target in ("prev_hash", "hash"):
        new = data.draw(
            st.from_regex(r"[0-9a-f]{64}", fullmatch=True).filter(lambda v: v != getattr(s, target))
        )
        chain[i] = dataclasses.replace(s, **{target: new})
        bad_seq = s.event.seq
    else:
        new = _mutate(getattr(s.event, target), target, data.draw)
        chain[i] = dataclasses.replace(s, event=dataclasses.replace(s.event, **{target: new}))
        bad_seq = chain[i].event.seq  # the seq stored on the altered row
    r = verify_chain(chain, start_seq=events[0].seq)
    assert not r.ok
    assert r.first_bad_seq == bad_seq
    assert r.checked == i
    assert r.problem


@settings(max_examples=60)
@given(chains(min_size=2), st.data())
def test_deleting_one_event_is_detected(events, data):
    chain = build_chain(events)
    # deleting the very last row is only detectable with a checkpoint (see below)
    i = data.draw(st.integers(0, len(chain) - 2))
    del chain[i]
    r = verify_chain(chain, start_seq=events[0].seq)
    assert not r.ok
    assert r.first_bad_seq == events[i + 1].seq
    assert r.checked == i


@settings(max_examples=40)
@given(chains(min_size=2))
def test_deleting_first_event_without_start_seq_is_detected(events):
    chain = build_chain(events)[1:]
    r = verify_chain(chain)
    assert not r.ok and r.first_bad_seq == events[1].seq and "prev_hash" in r.problem


@settings(max_examples=60)
@given(chains(min_size=2), st.data())
def test_swapping_two_events_is_detected(events, data):
    chain = build_chain(events)
    i = data.draw(st.integers(0, len(chain) - 2))
    j = data.draw(st.integers(i + 1, len(chain) - 1))
    chain[i], chain[j] = chain[j], chain[i]
    r = verify_chain(chain, start_seq=events[0].seq)
    assert not r.ok
    assert r.first_bad_seq == events[j].seq  # the row found where seq events[i].seq belongs
    assert r.checked == i
    # without start_seq the broken link is still found at the same row
    r2 = verify_chain(chain)
    assert not r2.ok and r2.first_bad_seq == events[j].seq


@settings(max_examples=60)
@given(chains(min_size=3), st.data())
def test_truncating_the_middle_is_detected(events, data):
    chain = build_chain(events)
    i = data.draw(st.integers(1, len(chain) - 2))
    j = data.draw(st.integers(i + 1, len(chain) - 1))  # remove [i, j)
    truncated = chain[:i] + chain[j:]
    r = verify_chain(truncated, start_seq=events[0].seq)
    assert not r.ok
    assert r.first_bad_seq == events[j].seq
    assert r.head_seq == events[i - 1].seq and r.head_hash == chain[i - 1].hash


@settings(max_examples=50)
@given(chains(min_size=2))
def test_renumbered_chain_after_deletion_is_detected(events):
    """Deleting a row and renumbering the rest keeps seqs contiguous but breaks hashes."""
    chain = build_chain(events)
    del chain[0]
    renumbered = [
        dataclasses.replace(s, event=dataclasses.replace(s.event, seq=s.event.seq - 1)) for s in chain
    ]
    r = verify_chain(renumbered, start_seq=events[0].seq)
    assert not r.ok and r.first_bad_seq == events[0].seq


# --- checkpoints ---------------------------------------------------------------------


def test_checkpoint_message_format():
    assert checkpoint_message(42, "ab" * 32, "2025-01-01T00:00:00Z") == (
        b"prefcenter-checkpoint:v1:42:" + b"ab" * 32 + b":2025-01-01T00:00:00Z"
    )


def test_checkpoint_sign_verify():
    priv = new_signing_key()
    pub = public_key_of(priv)
    head = "cd" * 32
    sig = sign_checkpoint(priv, 10, head, "2025-01-01T00:00:00Z")
    assert verify_checkpoint(pub, 10, head, "2025-01-01T00:00:00Z", sig)
    assert not verify_checkpoint(pub, 11, head, "2025-01-01T00:00:00Z", sig)
    assert not verify_checkpoint(pub, 10, "ce" * 32, "2025-01-01T00:00:00Z", sig)
    assert not verify_checkpoint(pub, 10, head, "2025-01-01T00:00:01Z", sig)
    assert not verify_checkpoint(public_key_of(new_signing_key()), 10, head, "2025-01-01T00:00:00Z", sig)


@pytest.mark.parametrize("drop_tail", [1, 3])
def test_checkpoint_detects_truncated_tail(drop_tail):
    """Deleting the newest rows keeps the chain valid; the signed checkpoint catches it."""
    priv = new_signing_key()
    chain = build_chain([ev(i) for i in range(1, 8)])
    sig = sign_checkpoint(priv, 7, chain[-1].hash, "t")
    r = verify_chain(chain[:-drop_tail])
    assert r.ok
    assert verify_checkpoint(public_key_of(priv), 7, chain[-1].hash, "t", sig)
    assert r.head_seq is not None and r.head_seq < 7  # auditor: checkpoint seq beyond head -> truncated
