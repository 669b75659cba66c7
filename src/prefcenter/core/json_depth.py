"""How deep a JSON text nests, checked on the raw bytes before anything decodes them.

A decoder recurses once per level, so ``[`` x 1000 exhausts Python's stack (RecursionError: a 500) before
any schema sees the body. ``nests_deeper_than`` bounds the depth with a few C-speed passes over the bytes:

1. a body with no more opening brackets than the limit (every profile read and preference save) costs two
   ``bytes.count`` and is done;
2. otherwise escapes are dropped (``\\\\`` pairs, then ``\\"``), so every remaining ``"`` opens or closes a
   string, and only brackets and quotes are kept;
3. strings are dropped (brackets inside a string do not nest): in the usual body no string holds a
   bracket, so each shows up as ``""`` and a ``replace`` removes them all; a string that does hold one
   leaves a quote behind, and a regular expression then drops every ``"..."``;
4. brackets become +1 / -1 and the running sum (``itertools.accumulate``, in C) gives the depth.

For malformed text the answer is exact up to the first syntax error, which is as far as a decoder recurses.
Pure: no I/O.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_JSON_DEPTH = 64

_KEEP = b'[]{}"'
_NOT_KEPT = bytes(b for b in range(256) if b not in _KEEP)
_STRING = re.compile(rb'"[^"]*"')  # on the kept bytes: a string and any brackets inside it
# an opening bracket becomes +1, a closing one -1 (0xff read as a signed byte); quotes go
_AS_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def nests_deeper_than(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``body`` opens more than ``limit`` arrays/objects inside one another."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = body.translate(None, _NOT_KEPT)
    if b'"' in kept:
        kept = kept.replace(b'""', b"")
        if b'"' in kept:
            kept = _STRING.sub(b"", kept)
    steps = kept.translate(_AS_STEPS, b'"')
    if steps.count(1) <= limit:
        return False
    return max(accumulate(memoryview(steps).cast("b"))) > limit
