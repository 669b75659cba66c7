from __future__ import annotations

from datetime import datetime

import msgspec


class EventRead(msgspec.Struct):
    seq: int
    occurred_at: str
    type: str
    actor_type: str
    actor_id: str | None
    touchpoint: str | None
    data: dict
    hash: str


class EventPage(msgspec.Struct):
    items: list[EventRead]
    next_cursor: str | None


class VerificationRead(msgspec.Struct):
    ok: bool
    events_checked: int
    head_seq: int | None
    head_hash: str
    checkpoints_checked: int
    first_bad_seq: int | None
    problem: str | None
    verified_at: datetime
