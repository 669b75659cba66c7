"""Page cursors: opaque to the client, the URL-safe base64 (unpadded) of a text each list reads back itself."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TypeVar

from prefcenter.errors import InvalidInput

T = TypeVar("T")


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parse: Callable[[str], T]) -> T:
    """``parse`` of the cursor's text; a cursor this API did not return (``parse`` raising ``ValueError``
    included) is refused as invalid input."""
    try:
        return parse(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this API returned") from None
