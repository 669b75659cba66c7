"""ETag / If-Match for subject revisions."""

from __future__ import annotations

from prefcenter.errors import InvalidInput


def etag(revision: int) -> str:
    return f'"{revision}"'


def expected_revision(if_match: str | None) -> int | None:
    """The revision named by ``If-Match`` (``"12"`` or ``W/"12"``), or None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput('If-Match must be an ETag from a previous read, e.g. "12"')
    return int(value)
