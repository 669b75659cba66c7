from __future__ import annotations

from datetime import datetime

import msgspec

from prefcenter.vocabulary import Key, LegalBasisName, LongText, ShortText


class ChannelWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    description: LongText = ""


class ChannelRead(msgspec.Struct):
    key: str
    name: str
    description: str


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


class NoticeWrite(msgspec.Struct, forbid_unknown_fields=True):
    text: LongText


class NoticeRead(msgspec.Struct):
    version: int
    text: str
    sha256: str
    created_at: datetime


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


class Company(msgspec.Struct):
    name: str


class CatalogRead(msgspec.Struct):
    version: int
    company: Company
    channels: list[ChannelRead]
    topics: list[TopicRead]
