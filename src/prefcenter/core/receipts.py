"""Consent receipts: compact JWS signed with Ed25519 (pure, no I/O).

Receipts are issued with ``alg: EdDSA`` (RFC 8037, the value most verifiers know) and
``kid`` = the RFC 7638 thumbprint of the public key, so a verifier can pick the right
key after rotation. ``read_receipt`` also accepts the fully specified ``alg: Ed25519``
(RFC 9864). ``alg: none`` and every other algorithm are rejected.
"""

from __future__ import annotations

import base64
import json
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


def _public_jwk(public_raw: bytes) -> OKPKey:
    try:
        return OKPKey.import_key(Ed25519PublicKey.from_public_bytes(public_raw))
    except (ValueError, TypeError) as exc:
        raise ReceiptError(f"invalid Ed25519 public key: {exc}") from None


def key_id(public_raw: bytes) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (used as the receipt ``kid``)."""
    return _public_jwk(public_raw).thumbprint()


@lru_cache(maxsize=8)
def _signer(private_raw: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    """The signing key and the receipt's protected header segment (with the key's ``kid``), worked out once
    per key (a third of a receipt's time)."""
    try:
        private = Ed25519PrivateKey.from_private_bytes(private_raw)
    except (ValueError, TypeError) as exc:
        raise ReceiptError(f"invalid Ed25519 private key: {exc}") from None
    header = {"alg": ISSUE_ALG, "typ": RECEIPT_TYP, "kid": key_id(private.public_key().public_bytes_raw())}
    # as joserfc's ``jws.serialize_compact`` encodes a header (tests/core: the tokens are byte-identical)
    return private, _b64(json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii"))


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def issue_receipt(private_raw: bytes, claims: dict) -> str:
    """Sign ``claims`` (a JSON-serialisable dict) as a compact JWS (RFC 7515 section 7.1: header, payload and
    Ed25519 signature, each base64url without padding). Built here rather than by joserfc's
    ``serialize_compact``, which costs half as much again for the same bytes (Ed25519 is deterministic)."""
    private, header_segment = _signer(private_raw)
    signing_input = header_segment + b"." + _b64(msgspec.json.encode(claims, order="sorted"))
    return (signing_input + b"." + _b64(private.sign(signing_input))).decode("ascii")


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
