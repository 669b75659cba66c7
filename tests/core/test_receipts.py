import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.crypto import new_signing_key, public_key_of
from prefcenter.core.receipts import ReceiptError, issue_receipt, key_id, read_receipt

CLAIMS = {
    "iss": "prefcenter",
    "sub": "5b0d1c0e-0000-4000-8000-000000000001",
    "iat": 1735689600,
    "consent": {
        "id": "c1",
        "topic": "newsletter",
        "channels": ["email"],
        "status": "granted",
        "notice_version": 3,
    },
}


def _b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture(scope="module")
def keys():
    priv = new_signing_key()
    return priv, public_key_of(priv)


def test_roundtrip_and_header(keys):
    priv, pub = keys
    token = issue_receipt(priv, CLAIMS)
    assert token.count(".") == 2
    header = _b64json(token.split(".")[0])
    assert header["alg"] == "EdDSA" and header["kid"] == key_id(pub)
    assert read_receipt(pub, token) == CLAIMS


def test_no_security_warnings(keys, recwarn):
    priv, pub = keys
    read_receipt(pub, issue_receipt(priv, CLAIMS))
    assert not [w for w in recwarn if "EdDSA" in str(w.message)]


def test_wrong_key_rejected(keys):
    priv, _ = keys
    token = issue_receipt(priv, CLAIMS)
    with pytest.raises(ReceiptError, match="signature"):
        read_receipt(public_key_of(new_signing_key()), token)


def test_tampered_payload_rejected(keys):
    priv, pub = keys
    h, p, s = issue_receipt(priv, CLAIMS).split(".")
    forged = dict(CLAIMS, sub="someone-else")
    p2 = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(ReceiptError):
        read_receipt(pub, f"{h}.{p2}.{s}")


def test_alg_none_rejected(keys):
    _, pub = keys
    h = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    p = base64.urlsafe_b64encode(json.dumps(CLAIMS).encode()).rstrip(b"=").decode()
    with pytest.raises(ReceiptError):
        read_receipt(pub, f"{h}.{p}.")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.b", "....", "eyJ.eyJ.x"])
def test_garbage_rejected(keys, token):
    with pytest.raises(ReceiptError):
        read_receipt(keys[1], token)


def test_bad_keys():
    with pytest.raises(ReceiptError):
        issue_receipt(b"short", CLAIMS)
    with pytest.raises(ReceiptError):
        read_receipt(b"short", "a.b.c")


def test_accepts_fully_specified_ed25519_alg(keys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from joserfc import jws
    from joserfc.jwk import OKPKey

    priv, pub = keys
    key = OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(priv))
    token = jws.serialize_compact({"alg": "Ed25519"}, json.dumps(CLAIMS), key, algorithms=["Ed25519"])
    assert read_receipt(pub, token) == CLAIMS


def test_non_object_payload_rejected(keys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from joserfc import jws
    from joserfc.jwk import OKPKey

    priv, pub = keys
    key = OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(priv))
    token = jws.serialize_compact({"alg": "Ed25519"}, b"[1,2]", key, algorithms=["Ed25519"])
    with pytest.raises(ReceiptError, match="object"):
        read_receipt(pub, token)


# JSON objects of the kinds of values a receipt carries
CLAIM_SETS = st.dictionaries(
    st.text(max_size=8),
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    max_size=6,
)


@settings(max_examples=30)
@given(CLAIM_SETS)
def test_roundtrip_property(claims):
    priv = new_signing_key()
    assert read_receipt(public_key_of(priv), issue_receipt(priv, claims)) == claims


def _joserfc_receipt(priv: bytes, claims: dict) -> str:
    """A receipt as joserfc's ``jws.serialize_compact`` made it (before receipts were built directly)."""
    import msgspec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from joserfc import jws
    from joserfc.jwk import OKPKey

    from prefcenter.core.receipts import _REGISTRY

    key = OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(priv))
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key_id(public_key_of(priv))}
    return jws.serialize_compact(header, msgspec.json.encode(claims, order="sorted"), key, registry=_REGISTRY)


def test_receipt_bytes_as_joserfc_made_them(keys):
    priv, pub = keys
    token = issue_receipt(priv, CLAIMS)
    assert token == _joserfc_receipt(priv, CLAIMS)
    assert read_receipt(pub, token) == CLAIMS


@settings(max_examples=30)
@given(CLAIM_SETS)
def test_receipt_bytes_as_joserfc_made_them_property(claims):
    priv = new_signing_key()
    assert issue_receipt(priv, claims) == _joserfc_receipt(priv, claims)
