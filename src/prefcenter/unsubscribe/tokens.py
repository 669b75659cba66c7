"""Compact, single-purpose unsubscribe tokens (short enough for a ``List-Unsubscribe`` header).

A JWT for the same claims is ~230 characters; this is ~140. Layout (then base64url, no padding)::

    version(1) | subject uuid(16) | len(1) channel | len(1) topic ("*" = the whole channel) | iat(4) | sig(64)

``sig`` is Ed25519 (the installation's signing key) over a domain-separation prefix plus the payload, so the
token proves only "this subject may opt out of this channel/topic" and nothing else: it is not a JWT (no
API or link endpoint accepts it), it names no other subject, and the prefix keeps its signature from being
valid for any other message this key signs (checkpoints, receipts, JWTs).
"""

from __future__ import annotations

import base64
import struct
import time
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from prefcenter.errors import NotFound

VERSION = 1
DOMAIN = b"prefcenter/unsubscribe/v1\x00"
SIG_SIZE = 64
ALL_TOPICS = "*"


@dataclass(frozen=True, slots=True)
class UnsubscribeClaim:
    subject_id: str
    channel: str
    topic: str  # "*" = every topic on the channel
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UnsubscribeTokens:
    def __init__(self, signing_key_raw: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(signing_key_raw)
        self._public: Ed25519PublicKey = self._private.public_key()

    def mint(
        self, subject_id: str, channel: str, topic: str = ALL_TOPICS, issued_at: int | None = None
    ) -> str:
        ch, tp = channel.encode(), topic.encode()
        if not (0 < len(ch) < 256 and 0 < len(tp) < 256):
            raise ValueError("channel and topic must be 1-255 bytes")
        payload = (
            bytes([VERSION])
            + uuid.UUID(subject_id).bytes
            + bytes([len(ch)])
            + ch
            + bytes([len(tp)])
            + tp
            + struct.pack(">I", int(time.time() if issued_at is None else issued_at))
        )
        return _b64(payload + self._private.sign(DOMAIN + payload))

    def verify(self, token: str) -> UnsubscribeClaim:
        """The claim a token carries; NotFound (a public link that leads nowhere) when malformed, forged or altered."""
        try:
            raw = _unb64(token)
        except ValueError:
            raise NotFound("this unsubscribe link is not valid") from None
        if len(raw) < 1 + 16 + 2 + 4 + SIG_SIZE or raw[0] != VERSION:
            raise NotFound("this unsubscribe link is not valid")
        payload, signature = raw[:-SIG_SIZE], raw[-SIG_SIZE:]
        try:
            self._public.verify(signature, DOMAIN + payload)
        except InvalidSignature:
            raise NotFound("this unsubscribe link is not valid") from None
        try:
            subject = str(uuid.UUID(bytes=payload[1:17]))
            pos = 17
            ch_len = payload[pos]
            channel = payload[pos + 1 : pos + 1 + ch_len].decode()
            pos += 1 + ch_len
            tp_len = payload[pos]
            topic = payload[pos + 1 : pos + 1 + tp_len].decode()
            pos += 1 + tp_len
            (issued_at,) = struct.unpack(">I", payload[pos : pos + 4])
            if pos + 4 != len(payload):
                raise ValueError("trailing bytes")
        except (ValueError, IndexError, struct.error):
            raise NotFound("this unsubscribe link is not valid") from None
        return UnsubscribeClaim(subject, channel, topic, issued_at)
