from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.catalog.schemas import CatalogRead
from prefcenter.subjects.schemas import PreferenceRead, SettingsRead, SubjectRead
from prefcenter.vocabulary import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    ConsentMethod,
    Key,
    Language,
    Reason,
    ShortText,
    TopicKey,
    Touchpoint,
)


class Evidence(msgspec.Struct, forbid_unknown_fields=True):
    ip: Annotated[str, msgspec.Meta(max_length=64, pattern=SINGLE_LINE_PATTERN)] | None = None
    user_agent: Annotated[str, msgspec.Meta(max_length=512, pattern=SINGLE_LINE_PATTERN)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000, pattern=MULTI_LINE_PATTERN)] | None = None
    form_reference: ShortText | None = None


class ConsentGrant(msgspec.Struct, forbid_unknown_fields=True):
    topic: TopicKey
    channels: Annotated[list[Key], msgspec.Meta(min_length=1, max_length=20)]
    notice_version: Annotated[int, msgspec.Meta(ge=1)]
    method: ConsentMethod
    touchpoint: Touchpoint
    evidence: Evidence | None = None
    # the language of the notice shown (its version is numbered in that language); default: the default locale
    notice_locale: Language | None = None


class ConsentWithdraw(msgspec.Struct, forbid_unknown_fields=True):
    touchpoint: Touchpoint
    method: ConsentMethod = "api"
    reason: Reason | None = None


class ConsentConfirm(msgspec.Struct, forbid_unknown_fields=True):
    touchpoint: Touchpoint = "email_link"


class ConsentRead(msgspec.Struct):
    id: str
    topic: str
    channels: list[str]
    status: str
    notice_version: int | None
    method: str
    touchpoint: str
    granted_at: datetime
    confirmed_at: datetime | None
    expires_at: datetime | None
    withdrawn_at: datetime | None
    receipt: str | None = None
    locale: str | None = None  # the language of the notice the person was shown
    notice_sha256: str | None = None  # the SHA-256 of that notice's text


class ConfirmationEmailRead(msgspec.Struct):
    consent_id: str
    sent: bool


class ProfileRead(msgspec.Struct):
    """Everything the preference center shows about one subject: settings, preferences and current consents."""

    subject: SubjectRead
    revision: int
    settings: SettingsRead
    preferences: list[PreferenceRead]
    consents: list[ConsentRead]


class PreferenceCenterRead(msgspec.Struct):
    """What a preference center (the widget) shows first, in one answer: the catalog in the asked language and
    the subject's profile."""

    catalog: CatalogRead
    profile: ProfileRead
