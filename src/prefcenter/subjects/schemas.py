from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.vocabulary import (
    ExternalId,
    Frequency,
    IdentityKind,
    IdentityValue,
    Key,
    Language,
    PreferenceStatus,
    Reason,
    Touchpoint,
)

TopicOrAll = Annotated[
    str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^(\*|[a-z][a-z0-9_\-]*)(?!\n)$")
]
MAX_PREFERENCE_ITEMS = 500


class IdentityWrite(msgspec.Struct, forbid_unknown_fields=True):
    kind: IdentityKind
    value: IdentityValue
    touchpoint: Touchpoint = "api"


class SubjectCreate(msgspec.Struct, forbid_unknown_fields=True):
    external_id: ExternalId | None = None
    identities: Annotated[list[IdentityWrite], msgspec.Meta(max_length=20)] = []
    language: Language | None = None
    touchpoint: Touchpoint = "api"


class IdentityRead(msgspec.Struct):
    kind: str
    masked: str
    added_at: datetime


class SubjectRead(msgspec.Struct):
    id: str
    external_id: str | None
    created_at: datetime
    erased_at: datetime | None
    identities: list[IdentityRead]


class PreferenceItem(msgspec.Struct, forbid_unknown_fields=True):
    channel: Key
    topic: TopicOrAll
    status: PreferenceStatus


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    touchpoint: Touchpoint
    reason: Reason | None = None
    items: Annotated[list[PreferenceItem], msgspec.Meta(max_length=MAX_PREFERENCE_ITEMS)] = []
    do_not_contact: bool | None = None
    preferred_channel: Key | None = None
    language: Language | None = None
    frequency: Frequency | None = None


class PreferenceRead(msgspec.Struct):
    channel: str
    topic: str
    status: str
    updated_at: datetime


class SettingsRead(msgspec.Struct):
    do_not_contact: bool
    preferred_channel: str | None
    language: str | None
    frequency: str | None
