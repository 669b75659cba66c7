import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.crypto import (
    CryptoError,
    lookup_hash,
    new_data_key,
    new_master_key,
    new_pepper,
    new_signing_key,
    public_key_of,
    seal,
    seal_json,
    sign,
    unseal,
    unseal_json,
    unwrap_key,
    verify_signature,
    wrap_key,
)


def test_lookup_hash_is_hmac_sha256_of_kind_and_value():
    pepper = b"p" * 32
    expected = hmac.new(pepper, b"email:ann@example.com", hashlib.sha256).hexdigest()
    assert lookup_hash(pepper, "email", "ann@example.com") == expected
    assert len(expected) == 64
    assert lookup_hash(pepper, "phone", "ann@example.com") != expected
    assert lookup_hash(b"q" * 32, "email", "ann@example.com") != expected


@given(st.binary(min_size=1, max_size=80), st.sampled_from(["email", "phone"]), st.text(max_size=40))
def test_lookup_hash_reuses_no_state_between_values(pepper, kind, value):
    """The keyed state is copied per hash: each answer is the one-shot HMAC, whatever was hashed before."""
    lookup_hash(pepper, kind, value + "x")
    expected = hmac.digest(pepper, f"{kind}:{value}".encode(), "sha256").hex()
    assert lookup_hash(pepper, kind, value) == expected
    assert lookup_hash(pepper, kind, value) == expected


def test_new_keys_are_random_32_bytes():
    for fn in (new_data_key, new_master_key, new_pepper):
        a, b = fn(), fn()
        assert isinstance(a, bytes) and len(a) == 32 and a != b


def test_wrap_unwrap_roundtrip():
    master, dk = new_master_key(), new_data_key()
    wrapped = wrap_key(master, dk, "k1")
    assert len(wrapped) == 12 + 32 + 16
    assert unwrap_key(master, wrapped, "k1") == dk
    assert wrap_key(master, dk, "k1") != wrapped  # random nonce


def test_unwrap_wrong_key_or_key_id_or_tampered():
    master, dk = new_master_key(), new_data_key()
    wrapped = wrap_key(master, dk, "k1")
    with pytest.raises(CryptoError):
        unwrap_key(new_master_key(), wrapped, "k1")
    with pytest.raises(CryptoError):
        unwrap_key(master, wrapped, "k2")
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    with pytest.raises(CryptoError):
        unwrap_key(master, bytes(tampered), "k1")
    with pytest.raises(CryptoError):
        unwrap_key(master, wrapped[:20], "k1")
    with pytest.raises(CryptoError):
        wrap_key(b"short", dk, "k1")


def test_seal_format_and_roundtrip():
    dk = new_data_key()
    blob = seal(dk, b"hello", b"subject-1")
    assert blob[0] == 0x01
    assert len(blob) == 1 + 12 + len(b"hello") + 16
    assert unseal(dk, blob, b"subject-1") == b"hello"
    assert unseal(dk, seal(dk, b"")) == b""


def test_unseal_failures():
    dk = new_data_key()
    blob = seal(dk, b"hello", b"aad")
    with pytest.raises(CryptoError):
        unseal(new_data_key(), blob, b"aad")
    with pytest.raises(CryptoError):
        unseal(dk, blob, b"other")
    with pytest.raises(CryptoError):
        unseal(dk, blob)
    with pytest.raises(CryptoError, match="version"):
        unseal(dk, b"\x02" + blob[1:], b"aad")
    with pytest.raises(CryptoError):
        unseal(dk, blob[:10], b"aad")
    with pytest.raises(CryptoError):
        unseal(b"x" * 16, blob, b"aad")


@settings(max_examples=50)
@given(st.binary(max_size=256), st.binary(max_size=32), st.data())
def test_seal_tamper_any_byte_detected(plaintext, aad, data):
    dk = new_data_key()
    blob = seal(dk, plaintext, aad)
    assert unseal(dk, blob, aad) == plaintext
    i = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(blob)
    tampered[i] ^= 1 << bit
    with pytest.raises(CryptoError):
        unseal(dk, bytes(tampered), aad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=50)
@given(json_values)
def test_seal_json_roundtrip(obj):
    dk = new_data_key()
    assert unseal_json(dk, seal_json(dk, obj)) == obj


def test_unseal_json_wrong_key():
    blob = seal_json(new_data_key(), {"ip": "192.0.2.1"})
    with pytest.raises(CryptoError):
        unseal_json(new_data_key(), blob)


def test_unseal_json_not_json():
    dk = new_data_key()
    with pytest.raises(CryptoError, match="JSON"):
        unseal_json(dk, seal(dk, b"\xff not json"))


def test_ed25519_sign_verify():
    priv = new_signing_key()
    assert len(priv) == 32
    pub = public_key_of(priv)
    assert len(pub) == 32 and pub != priv
    assert public_key_of(priv) == pub
    sig = sign(priv, b"message")
    assert len(sig) == 64
    assert verify_signature(pub, b"message", sig)
    assert not verify_signature(pub, b"messagE", sig)
    assert not verify_signature(public_key_of(new_signing_key()), b"message", sig)
    assert not verify_signature(pub, b"message", sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not verify_signature(b"short", b"message", sig)
    assert not verify_signature(pub, b"message", b"short")
    with pytest.raises(CryptoError):
        public_key_of(b"short")
