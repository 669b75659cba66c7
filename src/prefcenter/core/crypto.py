"""Cryptographic primitives (pure, no I/O).

- keyed lookup hashes for identities (HMAC-SHA256 with a pepper),
- per-subject data keys wrapped by a master key (AES-256-GCM, key id as AAD),
- sealing personal data with a data key (AES-256-GCM, versioned blob),
- Ed25519 signing for audit checkpoints and receipts (raw 32-byte keys).
"""

from __future__ import annotations

import hmac
import os
from functools import lru_cache
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 32
NONCE_SIZE = 12
SEAL_VERSION = 0x01
_SEAL_HEADER = bytes([SEAL_VERSION])
_TAG_SIZE = 16


class CryptoError(Exception):
    """Decryption/unwrapping failed (wrong key, wrong associated data, tampered or malformed blob)."""


def lookup_hash(pepper: bytes, kind: str, normalised_value: str) -> str:
    """Hex HMAC-SHA256 of ``f"{kind}:{normalised_value}"`` keyed with the pepper.

    Hot path (every identity in a campaign): the pepper's keyed state is made once and copied per hash;
    keying HMAC again for every value cost about half of a one-shot ``hmac.digest`` (~1.4 us -> ~0.9 us)."""
    keyed = _keyed_hmac(pepper).copy()
    keyed.update(f"{kind}:{normalised_value}".encode())
    return keyed.hexdigest()


@lru_cache(maxsize=4)  # the pepper in use (tests and key rotation tooling may hold a few)
def _keyed_hmac(pepper: bytes) -> hmac.HMAC:
    return hmac.new(pepper, digestmod="sha256")


def new_data_key() -> bytes:
    return os.urandom(KEY_SIZE)


def new_master_key() -> bytes:
    return os.urandom(KEY_SIZE)


def new_pepper() -> bytes:
    return os.urandom(KEY_SIZE)


def _aesgcm(key: bytes, what: str) -> AESGCM:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        raise CryptoError(f"{what} must be {KEY_SIZE} bytes")
    return AESGCM(bytes(key))


def wrap_key(master_key: bytes, data_key: bytes, key_id: str) -> bytes:
    """Encrypt a data key under the master key: ``nonce(12) || ciphertext+tag``."""
    aead = _aesgcm(master_key, "master key")
    nonce = os.urandom(NONCE_SIZE)
    return nonce + aead.encrypt(nonce, data_key, key_id.encode())


def unwrap_key(master_key: bytes, wrapped: bytes, key_id: str) -> bytes:
    aead = _aesgcm(master_key, "master key")
    if len(wrapped) < NONCE_SIZE + _TAG_SIZE:
        raise CryptoError("wrapped key is truncated")
    try:
        return aead.decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], key_id.encode())
    except InvalidTag:
        raise CryptoError("cannot unwrap data key (wrong master key, key id or tampered)") from None


def seal(data_key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt: ``0x01 || nonce(12) || ciphertext+tag``."""
    aead = _aesgcm(data_key, "data key")
    nonce = os.urandom(NONCE_SIZE)
    return _SEAL_HEADER + nonce + aead.encrypt(nonce, plaintext, aad or None)


def unseal(data_key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    aead = _aesgcm(data_key, "data key")
    if len(blob) < 1 + NONCE_SIZE + _TAG_SIZE:
        raise CryptoError("sealed blob is truncated")
    if blob[0] != SEAL_VERSION:
        raise CryptoError(f"unknown sealed blob version {blob[0]}")
    try:
        return aead.decrypt(blob[1 : 1 + NONCE_SIZE], blob[1 + NONCE_SIZE :], aad or None)
    except InvalidTag:
        raise CryptoError("cannot unseal (wrong key, wrong associated data or tampered)") from None


def seal_json(data_key: bytes, obj: Any) -> bytes:
    return seal(data_key, msgspec.json.encode(obj))


def unseal_json(data_key: bytes, blob: bytes) -> Any:
    raw = unseal(data_key, blob)
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise CryptoError(f"sealed content is not JSON: {exc}") from None


# --- Ed25519 ---------------------------------------------------------------------


def new_signing_key() -> bytes:
    """A new Ed25519 private key, raw 32 bytes."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def _private_key(private_raw: bytes) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(private_raw)
    except (ValueError, TypeError) as exc:
        raise CryptoError(f"invalid Ed25519 private key: {exc}") from None


def public_key_of(private_raw: bytes) -> bytes:
    """Raw 32-byte Ed25519 public key for a raw private key."""
    return _private_key(private_raw).public_key().public_bytes_raw()


def sign(private_raw: bytes, message: bytes) -> bytes:
    return _private_key(private_raw).sign(message)


def verify_signature(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    """True if the signature is valid; False for a bad signature or a malformed key."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
