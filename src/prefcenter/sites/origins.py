"""Web origins as browsers send them in ``Origin``: pure parsing and normalisation, no I/O."""

from __future__ import annotations

import re

_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>\d{1,5}))?$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_origin(text: str) -> str:
    """``scheme://host[:port]`` in lower case without the scheme's default port, as a browser sends it.

    Raises ``ValueError`` for anything else: other schemes, a path (even ``/``), a query, user info,
    a wildcard or a port outside 1-65535.
    """
    match = _ORIGIN.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(
            f"{text!r} is not an origin: use scheme://host[:port] with http or https and no path, "
            "e.g. https://shop.example.com"
        )
    scheme, host, port = match["scheme"], match["host"], match["port"]
    if port is None:
        return f"{scheme}://{host}"
    number = int(port)
    if not 1 <= number <= 65535:
        raise ValueError(f"{text!r}: port {number} is outside 1-65535")
    if number == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{number}"
