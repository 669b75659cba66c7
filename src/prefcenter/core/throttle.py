"""The sign-in throttle's rule, pure: failures are counted in fixed windows that start with a key's first
failure; a key with ``limit`` failures in its window is locked until that window ends."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from datetime import datetime


def seconds_locked(failures: int, window_ends_at: datetime | None, limit: int, now: datetime) -> int:
    """0 when the key may try again; else the whole seconds until its window ends (at least 1)."""
    if window_ends_at is None or window_ends_at <= now or failures < limit:
        return 0
    return max(1, math.ceil((window_ends_at - now).total_seconds()))


def address_group(address: str | None) -> str:
    """What one client address counts as: an IPv4 address itself, an IPv6 address its /64 (one host usually
    holds a whole /64, so single IPv6 addresses would count nothing), anything else as given."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def throttle_keys(pepper: bytes, principal_id: str, address: str | None) -> tuple[str, str]:
    """The (principal, address) key and the address key, as keyed hashes: no ids or addresses are stored."""
    group = address_group(address)
    key = hmac.new(pepper, b"prefcenter sign-in throttle", hashlib.sha256).digest()

    def digest(*parts: str) -> str:
        return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    return digest("principal", principal_id, group), digest("address", group)
