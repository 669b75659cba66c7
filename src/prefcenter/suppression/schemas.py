"""Change-feed shapes."""

from __future__ import annotations

from typing import Any

import msgspec


class ChangeRead(msgspec.Struct):
    seq: int
    occurred_at: str
    subject_id: str | None
    type: str
    actor_type: str
    touchpoint: str | None
    data: dict[str, Any]


class ChangesRead(msgspec.Struct):
    """``next_cursor`` is where to continue (pass it as ``after``); it is the last seen position even when
    ``items`` is empty, so a poller keeps its place."""

    items: list[ChangeRead]
    next_cursor: str
    has_more: bool
