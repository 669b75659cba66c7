from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from prefcenter.vocabulary import MULTI_LINE_PATTERN, NOT_IN_URLS, SINGLE_LINE_PATTERN

SystemName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=SINGLE_LINE_PATTERN)]
WebhookUrl = Annotated[
    str, msgspec.Meta(min_length=8, max_length=2000, pattern=rf"^https?://[^{NOT_IN_URLS}]+(?!\n)$")
]
EventPattern = Annotated[
    str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^(\*|[a-z_]+(\.[a-z_*]+)*)(?!\n)$")
]


class SystemCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A downstream system. ``event_types`` are patterns (``*``, ``consent.*``, ``subject.erased``)."""

    name: SystemName
    url: WebhookUrl
    event_types: Annotated[list[EventPattern], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=lambda: ["*"]
    )


class SystemRead(msgspec.Struct):
    id: str
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime
    secret: str | None = None  # shown once, when the system is registered


class DeliveryRead(msgspec.Struct):
    id: str
    system_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryRead]


class TaskAck(msgspec.Struct, forbid_unknown_fields=True):
    """A downstream system's answer to a DSR task: it erased the person, held nothing, or failed.
    ``task_id`` (from the ``dsr.erasure_requested`` webhook) binds the signed body to its task: it must
    equal the task in the path."""

    task_id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
    status: Literal["erased", "not_found", "failed"]
    detail: Annotated[str, msgspec.Meta(max_length=500, pattern=MULTI_LINE_PATTERN)] | None = None


class TaskAckRead(msgspec.Struct):
    task_id: str
    request_id: str
    status: str
    request_status: str
