"""The verified-token cache: a hit skips signature checks, but never admits a token verification would refuse."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from prefcenter.auth import tokens as tokens_module
from prefcenter.auth.tokens import TokenIssuer
from prefcenter.errors import Unauthorized


def _issuer() -> TokenIssuer:
    return TokenIssuer(os.urandom(32), "prefcenter", 900, 900)


def test_a_cached_token_is_refused_once_it_expires(monkeypatch):
    issuer = _issuer()
    token, ttl = issuer.client_token("c1", ["consent:check"], ttl=60)
    first = issuer.principal(token)
    assert issuer.principal(token) is first  # the second call is a cache hit
    real_time = tokens_module.time.time
    monkeypatch.setattr(tokens_module.time, "time", lambda: real_time() + ttl + 1)
    with pytest.raises(Unauthorized):
        issuer.principal(token)


def test_forged_and_altered_tokens_are_refused_even_when_a_good_one_is_cached():
    issuer = _issuer()
    good, _ = issuer.client_token("c1", ["consent:check"])
    issuer.principal(good)
    other_key = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    forged, _ = TokenIssuer(other_key, "prefcenter", 900, 900).client_token("c1", ["admin"])
    header, payload, signature = good.split(".")
    flipped = signature[:10] + ("B" if signature[10] == "A" else "A") + signature[11:]  # a whole 6-bit group
    for bad in (
        forged,
        f"{header}.{payload}.",
        f"{header}.{payload}.{flipped}",
        f"{header}x.{payload}.{signature}",
    ):
        with pytest.raises(Unauthorized):
            issuer.principal(bad)
    expired, _ = issuer.client_token("c1", ["consent:check"], ttl=-120)
    with pytest.raises(Unauthorized):
        issuer.principal(expired)
    assert len(issuer._verified) == 1  # only the good token was remembered


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(tokens_module, "VERIFIED_CACHE_SIZE", 3)
    issuer = _issuer()
    for i in range(10):
        issuer.principal(issuer.client_token(f"c{i}", ["consent:check"])[0])
    assert len(issuer._verified) == 3
