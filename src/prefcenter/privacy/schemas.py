"""The privacy center's API: file a request, confirm it with the code."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from prefcenter.dsr.schemas import Code, DsrType
from prefcenter.vocabulary import MULTI_LINE_PATTERN

Details = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=MULTI_LINE_PATTERN)]
Locale = Annotated[
    str, msgspec.Meta(min_length=2, max_length=10, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?(?!\n)$")
]


# How a customer names themselves: an email address or a phone number (a code is sent there).
AddressRef = Annotated[
    str, msgspec.Meta(min_length=3, max_length=340, pattern=r"^(email|phone):[^\x00-\x1f\x7f]+(?!\n)$")
]


class PrivacyRequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A customer's own request. ``identity`` is ``email:…`` or ``phone:…`` (E.164); ``details`` says, for
    a rectification, what is wrong and what it should be."""

    type: DsrType
    identity: AddressRef
    locale: Locale = "en"
    details: Details | None = None


class PrivacyRequestAccepted(msgspec.Struct):
    """The same answer whether or not we hold data about the person: a code was sent to the address given."""

    id: str
    status: Literal["awaiting_code"] = "awaiting_code"
    code_sent_to: Literal["email", "phone"] = "email"


class PrivacyRequestVerify(msgspec.Struct, forbid_unknown_fields=True):
    code: Code


class PrivacyRequestConfirmed(msgspec.Struct):
    """Confirmed: the request is being handled; the person is told by message when it is done."""

    id: str
    status: Literal["confirmed"] = "confirmed"
