"""The client's address: the TCP peer, or what a trusted reverse proxy says in X-Forwarded-For / Forwarded.

Forwarding headers are read only when the peer is one of ``PREFCENTER_TRUSTED_PROXIES``; anyone else can
write them. The header is read from the right (the hop nearest this server) past every trusted proxy; the
first address not in the list is the client. X-Forwarded-For wins when a proxy sends both, so a proxy that
sets only ``Forwarded`` must drop a client's X-Forwarded-For.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import cache

from litestar import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(text: str) -> Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` of each element of an RFC 7239 ``Forwarded`` header, in order."""
    found = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, given = pair.partition("=")
            if name.strip().lower() == "for":
                found.append(given)
    return found


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def resolve_client_address(
    peer: str | None, forwarded_for: str | None, forwarded: str | None, trusted: Sequence[Network]
) -> Address | None:
    """The client's address from the peer and the forwarding headers; None when the peer is unknown."""
    address = _parse(peer) if peer else None
    if address is None or not _trusted(address, trusted):
        return address
    hops = forwarded_for.split(",") if forwarded_for else _forwarded_for(forwarded) if forwarded else []
    for hop in reversed(hops):
        named = _parse(hop)
        if named is None:  # "unknown", an obfuscated name or garbage: the last trusted hop is all we know
            return address
        address = named
        if not _trusted(address, trusted):
            return address
    return address


def _joined(request: Request, name: str) -> str | None:
    values = request.headers.getall(name, [])
    return ",".join(values) if values else None


def client_ip(request: Request, trusted_proxies: tuple[str, ...]) -> str | None:
    """The client's IP address as text (None when the server was not told its peer); ``trusted_proxies``
    is ``settings.server.trusted_proxies`` (CIDR text)."""
    address = resolve_client_address(
        request.client.host if request.client else None,
        _joined(request, "x-forwarded-for"),
        _joined(request, "forwarded"),
        _networks(trusted_proxies),
    )
    if address is None:  # a peer that is no IP address (a test client, a socket path): as the server gave it
        return request.client.host if request.client else None
    return str(address)
