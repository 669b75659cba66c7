from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Touchpoint

MAX_ORIGINS_PER_SITE = 50

SiteOrigin = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.\-]+(:\d{1,5})?(?!\n)$",
        description="An exact origin, scheme://host[:port] with no path, e.g. https://shop.example.com",
    ),
]


class SiteWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=SINGLE_LINE_PATTERN)]
    origins: Annotated[list[SiteOrigin], msgspec.Meta(min_length=1, max_length=MAX_ORIGINS_PER_SITE)]
    touchpoint: Touchpoint | None = None


class SiteRead(msgspec.Struct):
    key: str
    name: str
    origins: list[str]
    touchpoint: Touchpoint | None
    created_at: datetime
    updated_at: datetime
