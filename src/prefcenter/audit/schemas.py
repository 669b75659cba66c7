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


class LogEventRead(msgspec.Struct):
    """An event as the audit search lists it: never the sealed personal fields, only whether it has some."""

    seq: int
    occurred_at: str
    subject_id: str | None
    type: str
    actor_type: str
    actor_id: str | None
    touchpoint: str | None
    data: dict
    has_sealed: bool
    hash: str


class LogEventPage(msgspec.Struct):
    items: list[LogEventRead]
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
