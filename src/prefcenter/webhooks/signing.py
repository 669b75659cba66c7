"""Standard Webhooks signatures (https://www.standardwebhooks.com/), pure and without I/O.

Secret: ``whsec_`` + base64 of 32 random bytes. Signed content: ``{webhook-id}.{webhook-timestamp}.{body}``.
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries (several during secret rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
        "content-type": "application/json",
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raise SignatureError unless the headers carry a valid, fresh signature of ``body``."""
    msg_id = received.get("webhook-id")
    ts_text = received.get("webhook-timestamp")
    signatures = received.get("webhook-signature")
    if not msg_id or not ts_text or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(ts_text)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    now = time.time() if now is None else now
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is too old or in the future")
    expected = sign(secret, msg_id, ts, body).partition(",")[2]
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise SignatureError("no valid v1 signature")
