"""Staff accounts on the wire: Create / Read, and the one-time set-password link an admin hands over."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.vocabulary import SINGLE_LINE_PATTERN, StaffRole

StaffEmail = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=SINGLE_LINE_PATTERN)]
StaffName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=SINGLE_LINE_PATTERN)]
TimeZoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*(?!\n)$",
        description="An IANA time zone, e.g. Europe/Paris",
    ),
]


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: StaffEmail
    name: StaffName
    role: StaffRole
    time_zone: TimeZoneName = "UTC"


class StaffRead(msgspec.Struct):
    id: str
    email: str
    name: str
    role: StaffRole
    disabled: bool
    time_zone: str
    has_password: bool
    has_second_factor: bool
    created_at: datetime
    updated_at: datetime


class StaffList(msgspec.Struct):
    items: list[StaffRead]


class PasswordLinkRead(msgspec.Struct):
    """A one-time link that lets the person set their password once, until ``expires_at``."""

    staff_id: str
    url: str
    expires_at: datetime


class StaffCreated(msgspec.Struct):
    staff: StaffRead
    password_link: PasswordLinkRead
