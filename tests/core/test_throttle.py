"""The sign-in throttle's pure rule: fixed windows, locked at the limit until the window ends; keys hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from prefcenter.core.throttle import address_group, seconds_locked, throttle_keys

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_key_is_locked_at_the_limit_until_its_window_ends():
    ends = NOW + timedelta(seconds=90.2)
    assert seconds_locked(9, ends, 10, NOW) == 0
    assert seconds_locked(10, ends, 10, NOW) == 91
    assert seconds_locked(50, ends, 10, NOW) == 91
    assert seconds_locked(10, NOW, 10, NOW) == 0  # the window has ended
    assert seconds_locked(10, NOW + timedelta(milliseconds=5), 10, NOW) == 1  # never "retry in 0 s"
    assert seconds_locked(0, None, 10, NOW) == 0


@given(st.integers(0, 1000), st.integers(-3600, 3600), st.integers(1, 100))
def test_locked_means_at_the_limit_in_an_open_window(failures, offset, limit):
    ends = NOW + timedelta(seconds=offset)
    wait = seconds_locked(failures, ends, limit, NOW)
    assert (wait > 0) == (failures >= limit and offset > 0)
    assert 0 <= wait <= max(offset, 0)


def test_ipv6_clients_count_by_their_slash_64():
    assert (
        address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    )
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    assert address_group("192.0.2.1") == "192.0.2.1"
    assert address_group(None) == "unknown"


def test_keys_are_keyed_hashes_per_pair_and_per_address():
    pair, by_address = throttle_keys(b"k" * 32, "pc_client", "192.0.2.1")
    other_pair, same_address = throttle_keys(b"k" * 32, "pc_other", "192.0.2.1")
    assert by_address == same_address and pair != other_pair != by_address
    assert "192.0.2.1" not in pair + by_address and "pc_client" not in pair
    assert throttle_keys(b"j" * 32, "pc_client", "192.0.2.1")[0] != pair  # another installation's pepper
