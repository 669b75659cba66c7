"""Consent receipts: compact JWS signed with Ed25519 (pure, no I/O).

Receipts are issued with ``alg: EdDSA`` (RFC 8037, the value most verifiers know) and
``kid`` = the RFC 7638 thumbprint of the public key, so a verifier can pick the right
key after rotation. ``read_receipt`` also accepts the fully specified ``alg: Ed25519``
(RFC 9864). ``alg: none`` and every other algorithm are rejected.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey

ISSUE_ALG = "EdDSA"
ACCEPTED_ALGS = ("EdDSA", "Ed25519")
RECEIPT_TYP = "JWT"


class _EdDSA(EdDSAAlgorithm):
    # joserfc warns on every use that "EdDSA" is deprecated by RFC 9864 (in favour of
    # "Ed25519"). We issue it on purpose for verifier compatibility; keys are always
    # Ed25519 here. A private registry avoids touching the global warnings filters.
    security_warning = None


class _ReceiptRegistry(jws.JWSRegistry):
    algorithms = {"EdDSA": _EdDSA(), "Ed25519": jws.JWSRegistry.algorithms["Ed25519"]}


_REGISTRY = _ReceiptRegistry(algorithms=ACCEPTED_ALGS)


class ReceiptError(Exception):
    """A receipt that is malformed, not signed by the expected key, or not a JSON object."""


def _private_jwk(private_raw: bytes) -> OKPKey:
    try:
        return OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(private_raw))
    except (ValueError, TypeError) as exc:
        raise ReceiptError(f"invalid Ed25519 private key: {exc}") from None


def _public_jwk(public_raw: bytes) -> OKPKey:
    try:
        return OKPKey.import_key(Ed25519PublicKey.from_public_bytes(public_raw))
    except (ValueError, TypeError) as exc:
        raise ReceiptError(f"invalid Ed25519 public key: {exc}") from None


def key_id(public_raw: bytes) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (used as the receipt ``kid``)."""
    return _public_jwk(public_raw).thumbprint()


@lru_cache(maxsize=8)
def _signer(private_raw: bytes) -> tuple[OKPKey, str]:
    """The signing key as a JWK and its ``kid``, worked out once per key (a third of a receipt's time)."""
    key = _private_jwk(private_raw)
    public_raw = Ed25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes_raw()
    return key, key_id(public_raw)


def issue_receipt(private_raw: bytes, claims: dict) -> str:
    """Sign ``claims`` (a JSON-serialisable dict) as a compact JWS."""
    key, kid = _signer(private_raw)
    header = {"alg": ISSUE_ALG, "typ": RECEIPT_TYP, "kid": kid}
    payload = msgspec.json.encode(claims, order="sorted")
    return jws.serialize_compact(header, payload, key, registry=_REGISTRY)


def read_receipt(public_raw: bytes, token: str) -> dict[str, Any]:
    """Verify a receipt with the issuer's public key and return its claims."""
    key = _public_jwk(public_raw)
    try:
        obj = jws.deserialize_compact(token, key, registry=_REGISTRY)
    except BadSignatureError:
        raise ReceiptError("invalid receipt: signature does not verify with this key") from None
    except JoseError as exc:
        raise ReceiptError(f"invalid receipt: {exc.description or type(exc).__name__}") from None
    except (ValueError, TypeError) as exc:
        raise ReceiptError(f"invalid receipt: {exc}") from None
    try:
        claims = msgspec.json.decode(obj.payload)
    except msgspec.DecodeError:
        raise ReceiptError("invalid receipt: payload is not JSON") from None
    if not isinstance(claims, dict):
        raise ReceiptError("invalid receipt: payload is not a JSON object")
    return claims
