"""Unsubscribe-link shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Key, TopicKey

SubjectId = Annotated[
    str,
    msgspec.Meta(
        min_length=36, max_length=36, pattern=SINGLE_LINE_PATTERN, description="A prefcenter subject id"
    ),
]
MAX_LINKS = 10_000


class UnsubscribeLinksCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Links for one channel (and optionally one topic) for up to 10,000 subjects.

    Without ``topic`` the link opts out of the whole channel."""

    channel: Key
    subjects: Annotated[list[SubjectId], msgspec.Meta(min_length=1)]
    topic: TopicKey | None = None
    site: Annotated[
        Key | None,
        msgspec.Meta(
            description="The site the mail belongs to: its unsubscribe page shows that site's branding"
        ),
    ] = None


class UnsubscribeLinkRead(msgspec.Struct):
    subject_id: str
    url: str
    list_unsubscribe: str
    list_unsubscribe_post: str
    expires_at: datetime  # the link is refused (410) from then on: PREFCENTER_UNSUBSCRIBE_LINK_DAYS


class UnsubscribeLinksRead(msgspec.Struct):
    channel: str
    topic: str | None
    items: list[UnsubscribeLinkRead]
