"""The nesting-depth bound on raw JSON bytes agrees with the depth of what a decoder builds."""

from __future__ import annotations

import json

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from prefcenter.core.json_depth import MAX_JSON_DEPTH, nests_deeper_than

# strings full of what could fool a scanner: brackets, quotes and backslashes
_tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\ab:,\n\u00e9'), max_size=8)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_tricky_text, inner, max_size=4),
    max_leaves=40,
)


def _depth(value) -> int:
    """Nesting depth of a decoded value, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, list | dict):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


@given(_values, st.integers(min_value=0, max_value=8), st.booleans())
def test_agrees_with_the_decoded_depth(value, limit, pretty):
    body = json.dumps(value, indent=1 if pretty else None).encode()
    assert nests_deeper_than(body, limit) == (_depth(value) > limit)


@given(st.lists(_values, min_size=1, max_size=3), st.integers(min_value=0, max_value=8))
def test_agrees_on_wide_bodies_past_the_counting_shortcut(values, limit):
    # many sibling objects: more opening brackets than the limit, depth unchanged
    value = {"items": [{"v": v} for v in values * 10]}
    body = msgspec.json.encode(value)
    assert nests_deeper_than(body, limit) == (_depth(value) > limit)


def test_the_bound_is_inclusive_and_strings_do_not_nest():
    assert not nests_deeper_than(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert nests_deeper_than(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert not nests_deeper_than(b'["' + b"[" * 1000 + b'"]')
    # closing brackets hidden in a string do not lower the count
    hidden = b"[" * 100 + b'"' + b"]" * 100 + b'"' + b"]" * 100
    assert nests_deeper_than(hidden)
    # an escaped quote does not end a string; an escaped backslash does not escape the quote after it
    assert not nests_deeper_than(b'["\\"' + b"[" * 100 + b'"]')
    assert nests_deeper_than(b'["\\\\"' + b",[" * 100 + b"]" * 101)


def test_malformed_text_is_judged_up_to_where_a_decoder_stops():
    # an unterminated string: the brackets after it count (the decoder refuses the body anyway)
    assert nests_deeper_than(b'"' + b"[" * 100)
    # the 1000-deep body of the review
    assert nests_deeper_than(b"[" * 1000 + b"]" * 1000)
    assert nests_deeper_than(b'{"a":' * 1000 + b"1" + b"}" * 1000)
