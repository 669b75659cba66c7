"""TOTP (RFC 6238): the RFC's own test vectors, drift of one step, a code used once, malformed codes."""

from __future__ import annotations

import pytest

from prefcenter.core import totp

RFC_SECRET = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1


@pytest.mark.parametrize(
    ("moment", "code8"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_vectors(moment, code8):
    assert totp.code_at(RFC_SECRET, moment, digits=8) == code8
    assert totp.code_at(RFC_SECRET, moment) == code8[-6:]


def test_a_code_is_accepted_one_step_either_side_and_not_beyond():
    secret = totp.new_secret()
    now = 1_800_000_000
    step = totp.time_step(now)
    assert totp.accepts(secret, totp.code_at(secret, now), now) == step
    assert totp.accepts(secret, totp.code_at(secret, now - 30), now) == step - 1
    assert totp.accepts(secret, totp.code_at(secret, now + 30), now) == step + 1
    far = totp.code_at(secret, now - 90)
    if far not in {totp.code_at(secret, now + d) for d in (-30, 0, 30)}:
        assert totp.accepts(secret, far, now) is None


def test_a_code_signs_in_once():
    secret = totp.new_secret()
    now = 1_800_000_000
    code = totp.code_at(secret, now)
    used = totp.accepts(secret, code, now)
    assert used is not None
    assert totp.accepts(secret, code, now, after_step=used) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code):
    assert totp.accepts(totp.new_secret(), code, 1_800_000_000) is None


def test_spaces_in_a_code_are_ignored_and_the_uri_names_the_secret():
    secret = totp.new_secret()
    code = totp.code_at(secret, 1_800_000_000)
    assert totp.accepts(secret, f"{code[:3]} {code[3:]}", 1_800_000_000) is not None
    uri = totp.provisioning_uri(secret, "ann@example.com", "prefcenter")
    assert uri.startswith("otpauth://totp/prefcenter%3Aann%40example.com?")
    assert f"secret={totp.secret_text(secret)}" in uri
