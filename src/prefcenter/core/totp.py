"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps), pure: no clock, no I/O.

Authenticator apps (and RFC 6238's test vectors) use exactly these parameters. ``accepts`` allows one step of
clock drift either way and returns the step it matched, so a caller can refuse the same code twice.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends for HMAC-SHA1


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def secret_text(secret: bytes) -> str:
    """The secret as authenticator apps take it: base32 without padding."""
    return base64.b32encode(secret).decode().rstrip("=")


def secret_from_text(text: str) -> bytes:
    """The secret ``secret_text`` wrote (ValueError for what is not base32)."""
    try:
        return base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise ValueError("not a base32 secret") from exc


def hotp(secret: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: the code for one counter value (dynamic truncation of HMAC-SHA1)."""
    digest = hmac.digest(secret, struct.pack(">Q", counter), "sha1")
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


def code_at(secret: bytes, unix_seconds: float, digits: int = DIGITS) -> str:
    return hotp(secret, time_step(unix_seconds), digits)


def accepts(secret: bytes, code: str, unix_seconds: float, *, after_step: int | None = None) -> int | None:
    """The time step ``code`` is valid for (now, or one step before or after), or None.

    Steps at or before ``after_step`` (the last one used) are refused: a code signs in once."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(unix_seconds)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from a QR code (Key Uri Format)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode(
        {"secret": secret_text(secret), "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS}
    )
    return f"otpauth://totp/{label}?{query}&period={STEP_SECONDS}"
