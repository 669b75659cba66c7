"""Stored codes as people read them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefcenter.core.labels import readable


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("waiting_on_systems", "Waiting on systems"),
        ("access", "Access"),
        ("legitimate_interest", "Legitimate interest"),
        ("pos", "Point of sale"),
        ("sms", "SMS"),
        ("api", "API"),
        ("in_store", "In store"),
        ("dsr.received", "DSR received"),
        (None, ""),
        ("", ""),
    ],
)
def test_codes_read_as_phrases(code, shown):
    assert readable(code) == shown


@given(st.from_regex(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", fullmatch=True))
def test_a_code_becomes_one_capitalised_phrase_without_underscores(code):
    shown = readable(code)
    assert "_" not in shown and shown[:1].isupper()
