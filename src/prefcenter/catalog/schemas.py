from __future__ import annotations

from datetime import datetime

import msgspec

from prefcenter.vocabulary import Key, Language, LegalBasisName, LongText, ShortText


class TextsWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A name and description in one locale."""

    name: ShortText
    description: LongText = ""


class GroupTextsWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText


class TextsRead(msgspec.Struct):
    name: str
    description: str = ""


class ChannelWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    description: LongText = ""
    # locale -> texts; ``name`` and ``description`` above are the default locale's
    translations: dict[Language, TextsWrite] = {}


class ChannelRead(msgspec.Struct):
    key: str
    name: str
    description: str
    translations: dict[str, TextsRead] = {}


class TopicGroupWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    translations: dict[Language, GroupTextsWrite] = {}


class TopicGroupRead(msgspec.Struct):
    key: str
    name: str
    translations: dict[str, TextsRead] = {}


class TopicWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    legal_basis: LegalBasisName
    channels: list[Key]
    description: LongText = ""
    group: ShortText = ""
    double_opt_in: bool = False
    consent_lifetime_days: int | None = msgspec.field(default=None)
    honour_gpc: bool = False
    allow_when_channel_opted_out: bool = False
    # None: optional unless the legal basis is contract or legal obligation (then a service message)
    optional: bool | None = None
    group_key: Key | None = None
    translations: dict[Language, TextsWrite] = {}


class NoticeWrite(msgspec.Struct, forbid_unknown_fields=True):
    text: LongText
    # the language of the text (default: the catalog's default locale); each locale numbers its own versions
    locale: Language | None = None


class NoticeRead(msgspec.Struct):
    version: int
    text: str
    sha256: str
    created_at: datetime
    locale: str = "en"


class TopicRead(msgspec.Struct):
    key: str
    name: str
    description: str
    group: str
    legal_basis: str
    channels: list[str]
    double_opt_in: bool
    consent_lifetime_days: int | None
    honour_gpc: bool
    allow_when_channel_opted_out: bool
    notice: NoticeRead | None
    optional: bool = True
    group_key: str | None = None
    translations: dict[str, TextsRead] = {}


class Company(msgspec.Struct):
    name: str


class CatalogRead(msgspec.Struct):
    version: int
    company: Company
    channels: list[ChannelRead]
    topics: list[TopicRead]
    # the language of the texts in this answer: the asked locale, each text falling back to the default
    locale: str = "en"
    groups: list[TopicGroupRead] = []


class TranslationGap(msgspec.Struct):
    """A catalog text missing in a locale (shown in the default locale instead)."""

    locale: str
    kind: str  # "channel" | "topic" | "group" | "notice"
    key: str
