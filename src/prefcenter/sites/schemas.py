from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.vocabulary import NOT_IN_URLS, SINGLE_LINE_PATTERN, Touchpoint

MAX_ORIGINS_PER_SITE = 50

SiteOrigin = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.\-]+(:\d{1,5})?(?!\n)$",
        description="An exact origin, scheme://host[:port] with no path, e.g. https://shop.example.com",
    ),
]


class SiteBranding(msgspec.Struct, forbid_unknown_fields=True):
    """How the site's hosted pages (/p/, /u/, /confirm/) and emails look: each part optional."""

    company_name: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=200,
                pattern=SINGLE_LINE_PATTERN,
                description="The company the customer knows (default: PREFCENTER_COMPANY_NAME)",
            ),
        ]
        | None
    ) = None
    logo_url: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=500,
                pattern=rf"^https://[A-Za-z0-9.\-]+(:\d{{1,5}})?/[^{NOT_IN_URLS}\"'<>]*(?!\n)$",
                description="An https URL of the logo shown at the top of hosted pages",
            ),
        ]
        | None
    ) = None
    accent_colour: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=r"^#[0-9a-fA-F]{6}(?!\n)$",
                description="#rrggbb for buttons and links; needs WCAG AA contrast (4.5:1) with white",
            ),
        ]
        | None
    ) = None


class SiteWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=SINGLE_LINE_PATTERN)]
    origins: Annotated[list[SiteOrigin], msgspec.Meta(min_length=1, max_length=MAX_ORIGINS_PER_SITE)]
    touchpoint: Touchpoint | None = None
    branding: SiteBranding | None = None


class SiteRead(msgspec.Struct):
    key: str
    name: str
    origins: list[str]
    touchpoint: Touchpoint | None
    branding: SiteBranding | None
    created_at: datetime
    updated_at: datetime
