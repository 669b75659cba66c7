from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Key, ShortText, Touchpoint


class TokenRequest(msgspec.Struct):
    """RFC 6749 section 4.4.2 form fields (client authentication may also come as HTTP Basic)."""

    # Any other grant type is refused as RFC 6749 asks (400, error ``unsupported_grant_type``), so it is parsed as
    # text and documented as the one value the server accepts.
    grant_type: Annotated[
        str,
        msgspec.Meta(
            max_length=64, pattern=SINGLE_LINE_PATTERN, extra_json_schema={"enum": ["client_credentials"]}
        ),
    ]
    client_id: Annotated[str, msgspec.Meta(max_length=64, pattern=SINGLE_LINE_PATTERN)] | None = None
    client_secret: Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE_PATTERN)] | None = None
    scope: Annotated[str, msgspec.Meta(max_length=500, pattern=SINGLE_LINE_PATTERN)] | None = None


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


Origin = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?(?!\n)$")]


class WidgetTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    origin: Origin | None = None
    touchpoint: Touchpoint | None = None
    mode: Literal["full", "compact", "agent"] = "full"
    agent_id: ShortText | None = None
    ttl_seconds: Annotated[int, msgspec.Meta(ge=60, le=86_400)] | None = None
    site: (
        Annotated[
            Key,
            msgspec.Meta(
                description="The site the page belongs to: origin must be one of its origins; "
                "its touchpoint is the default"
            ),
        ]
        | None
    ) = None


class WidgetTokenRead(msgspec.Struct):
    token: str
    subject_id: str
    expires_at: datetime
    expires_in: int
