from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from prefcenter.vocabulary import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, Key, TopicKey, Touchpoint

Direction = Literal["inbound", "outbound"]
Outcome = Literal["resolved", "follow_up", "transferred"]
CONTACT_CHANNELS = ("chat", "social", "in_store", "web")
"""Where a contact can happen besides the catalog's channels (email, sms, phone, ...)."""
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?!\n)$"
MAX_PAGE = 100
AGENT_TOKEN_PAGE = 5  # an agent-mode widget token reads the last five contacts, no further

Summary = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=MULTI_LINE_PATTERN)]
AgentRef = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=SINGLE_LINE_PATTERN)]
InteractionId = Annotated[str, msgspec.Meta(min_length=36, max_length=36, pattern=UUID_PATTERN)]
HandleSeconds = Annotated[int, msgspec.Meta(ge=0, le=86_400)]


class InteractionCreate(msgspec.Struct, forbid_unknown_fields=True):
    channel: Key
    """A catalog channel (email, sms, phone, ...) or one of chat, social, in_store, web."""
    touchpoint: Touchpoint
    direction: Direction
    topic: TopicKey | None = None
    """What the contact was about, one word (billing, delivery, ...); not necessarily a catalog topic."""
    summary: Summary | None = None
    """Free text, sealed with the subject's data key: erasure shreds it; feeds and webhooks never carry it."""
    outcome: Outcome | None = None
    handle_seconds: HandleSeconds | None = None
    agent: AgentRef | None = None
    """The contact-centre agent who handled it (an external reference)."""
    continues: InteractionId | None = None
    """The id of this subject's earlier interaction that this one continues (a switch of channel)."""


class InteractionRead(msgspec.Struct):
    id: str
    subject_id: str
    occurred_at: datetime
    channel: str
    touchpoint: str
    direction: str
    topic: str | None
    summary: str | None
    """null for an agent-mode widget token, and once the subject was erased (shredded)."""
    outcome: str | None
    handle_seconds: int | None
    agent: str | None
    continues: str | None
    actor_type: str
    actor_id: str | None


class InteractionPage(msgspec.Struct):
    items: list[InteractionRead]
    next_cursor: str | None
