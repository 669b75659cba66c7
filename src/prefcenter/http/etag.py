"""ETag / If-Match for subject revisions."""

from __future__ import annotations

import re

from prefcenter.errors import InvalidInput

IF_MATCH_PATTERN = r'^[ \t]*(\*|(W/)?"[0-9]{1,18}"|[0-9]{1,18})[ \t]*(?!\n)$'
"""``*``, an ETag this API handed out (``"12"``, or weak ``W/"12"``) or the bare revision (``12``)."""
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def etag(revision: int) -> str:
    return f'"{revision}"'


def expected_revision(if_match: str | None) -> int | None:
    """The revision named by ``If-Match`` (``"12"`` or ``W/"12"``), or None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    if not _IF_MATCH.search(if_match):
        raise InvalidInput('If-Match must be an ETag from a previous read, e.g. "12"')
    return int(if_match.strip().removeprefix("W/").strip('"'))
