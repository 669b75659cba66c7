"""One import record (an NDJSON line, or a CSV row mapped onto the same shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from prefcenter.vocabulary import (
    ConsentMethod,
    ExternalId,
    IdentityKind,
    IdentityValue,
    Key,
    PreferenceStatus,
    TopicKey,
    Touchpoint,
)

TopicOrAll = Annotated[
    str, msgspec.Meta(min_length=1, max_length=60, pattern=r"^(\*|[a-z][a-z0-9_\-]*)(?!\n)$")
]


class ImportIdentity(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    kind: IdentityKind
    value: IdentityValue


class ImportPreference(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    channel: Key
    topic: TopicOrAll
    status: PreferenceStatus
    updated_at: datetime | None = None


class ImportConsent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    topic: TopicKey
    channels: Annotated[list[Key], msgspec.Meta(min_length=1, max_length=20)]
    granted_at: datetime
    notice_version: Annotated[int, msgspec.Meta(ge=1)] | None = None  # None: the latest notice
    method: ConsentMethod = "import"
    touchpoint: Touchpoint = "import"  # where it was originally given
    status: Literal["granted", "withdrawn"] = "granted"
    withdrawn_at: datetime | None = None


class ImportRecord(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    external_id: ExternalId | None = None
    email: IdentityValue | None = None
    phone: IdentityValue | None = None
    identities: Annotated[list[ImportIdentity], msgspec.Meta(max_length=20)] = []
    do_not_contact: bool | None = None
    preferences: Annotated[list[ImportPreference], msgspec.Meta(max_length=200)] = []
    consents: Annotated[list[ImportConsent], msgspec.Meta(max_length=50)] = []
