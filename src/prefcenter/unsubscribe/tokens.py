"""Compact, single-purpose unsubscribe tokens (short enough for a ``List-Unsubscribe`` header).

A JWT for the same claims is ~230 characters; this is ~145. Layout (then base64url, no padding)::

    version(1) | subject uuid(16) | len(1) channel | len(1) topic ("*" = the whole channel)
               | len(1) site (0: none) | issued at, ms(8) | expires at, s(4) | sig(64)

``sig`` is Ed25519 (the installation's signing key) over a domain-separation prefix plus the payload, so the
token proves only "this subject may opt out of this channel/topic until it expires" and nothing else: it
is not a JWT (no API or link endpoint accepts it), it names no other subject, and the prefix keeps its
signature from being valid for any other message this key signs (checkpoints, receipts, JWTs).

The site the mail belongs to (its key: the page shows that site's branding) is signed with the rest, so
nobody can dress a link in another site's branding. Version 2 tokens (no site) are still accepted, as are
version 1 tokens (no expiry, issue time in seconds; minted before links expired) until ``issued at +
lifetime`` (``PREFCENTER_UNSUBSCRIBE_LINK_DAYS``), like a new link of that age.
"""

from __future__ import annotations

import base64
import struct
import time
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from prefcenter.errors import Gone, NotFound

VERSION = 3
SITELESS_VERSION = 2  # no site
LEGACY_VERSION = 1  # no site, issued at in seconds (4 bytes), no expiry
DOMAIN = {
    VERSION: b"prefcenter/unsubscribe/v3\x00",
    SITELESS_VERSION: b"prefcenter/unsubscribe/v2\x00",
    LEGACY_VERSION: b"prefcenter/unsubscribe/v1\x00",
}
TAIL = {VERSION: ">QI", SITELESS_VERSION: ">QI", LEGACY_VERSION: ">I"}
SIG_SIZE = 64
ALL_TOPICS = "*"
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class UnsubscribeClaim:
    subject_id: str
    channel: str
    topic: str  # "*" = every topic on the channel
    issued_at_ms: int
    expires_at: int  # unix seconds; the link is refused from then on
    site: str | None = None  # the site the mail belongs to (its key), signed with the rest


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid() -> NotFound:
    return NotFound("this unsubscribe link is not valid", reason="invalid")


class UnsubscribeTokens:
    def __init__(self, signing_key_raw: bytes, lifetime_days: int) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(signing_key_raw)
        self._public: Ed25519PublicKey = self._private.public_key()
        self.lifetime_seconds = lifetime_days * DAY_SECONDS

    def mint(
        self,
        subject_id: str,
        channel: str,
        topic: str = ALL_TOPICS,
        issued_at_ms: int | None = None,
        site: str | None = None,
    ) -> tuple[str, int]:
        """The token and when it expires (unix seconds); ``site`` (a site key) brands the page it opens."""
        ch, tp, st = channel.encode(), topic.encode(), (site or "").encode()
        if not (0 < len(ch) < 256 and 0 < len(tp) < 256 and len(st) < 256):
            raise ValueError("channel and topic must be 1-255 bytes, a site at most 255")
        issued = time.time_ns() // 1_000_000 if issued_at_ms is None else issued_at_ms
        expires = issued // 1000 + self.lifetime_seconds
        payload = (
            bytes([VERSION])
            + uuid.UUID(subject_id).bytes
            + bytes([len(ch)])
            + ch
            + bytes([len(tp)])
            + tp
            + bytes([len(st)])
            + st
            + struct.pack(TAIL[VERSION], issued, expires)
        )
        return _b64(payload + self._private.sign(DOMAIN[VERSION] + payload)), expires

    def verify(self, token: str, now: float | None = None) -> UnsubscribeClaim:
        """The claim a token carries. NotFound (a public link that leads nowhere) when malformed, forged or
        altered; Gone (``reason="expired"``) once it expired."""
        claim = self._decode(token)
        if (time.time() if now is None else now) >= claim.expires_at:
            raise Gone("this unsubscribe link has expired", reason="expired")
        return claim

    def _decode(self, token: str) -> UnsubscribeClaim:
        try:
            raw = _unb64(token)
        except ValueError:
            raise _invalid() from None
        version = raw[0] if raw else None
        if version not in DOMAIN:
            raise _invalid()
        tail = struct.calcsize(TAIL[version])
        if len(raw) < 1 + 16 + 2 + (version == VERSION) + tail + SIG_SIZE:
            raise _invalid()
        payload, signature = raw[:-SIG_SIZE], raw[-SIG_SIZE:]
        try:
            self._public.verify(signature, DOMAIN[version] + payload)
        except InvalidSignature:
            raise _invalid() from None
        try:
            subject = str(uuid.UUID(bytes=payload[1:17]))
            pos = 17
            ch_len = payload[pos]
            channel = payload[pos + 1 : pos + 1 + ch_len].decode()
            pos += 1 + ch_len
            tp_len = payload[pos]
            topic = payload[pos + 1 : pos + 1 + tp_len].decode()
            pos += 1 + tp_len
            site = None
            if version == VERSION:
                st_len = payload[pos]
                site = payload[pos + 1 : pos + 1 + st_len].decode() or None
                pos += 1 + st_len
            times = struct.unpack(TAIL[version], payload[pos : pos + tail])
            if pos + tail != len(payload):
                raise ValueError("trailing bytes")
        except (ValueError, IndexError, struct.error):
            raise _invalid() from None
        if version == LEGACY_VERSION:
            (issued_s,) = times
            return UnsubscribeClaim(
                subject, channel, topic, issued_s * 1000, issued_s + self.lifetime_seconds
            )
        issued_ms, expires = times
        return UnsubscribeClaim(subject, channel, topic, issued_ms, expires, site)
