"""The shared words of the API: touchpoints, methods, bases, statuses (DESIGN section 2)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Touchpoint = Literal[
    "web", "signup", "support", "account", "pos", "email_link", "sms", "social", "import", "api"
]
ConsentMethod = Literal["checkbox", "verbal", "signed_form", "import", "gpc", "api", "email_link"]
LegalBasisName = Literal["consent", "legitimate_interest", "contract", "legal_obligation"]
PreferenceStatus = Literal["opted_in", "opted_out"]
ConsentStatus = Literal["granted", "withdrawn", "pending_confirmation", "expired"]
IdentityKind = Literal["email", "phone", "customer_id", "device_id"]
Frequency = Literal["immediate", "daily", "weekly", "monthly"]

KEY_PATTERN = r"^[a-z][a-z0-9_\-]*$"
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=KEY_PATTERN)]
TopicKey = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=KEY_PATTERN)]
Language = Annotated[
    str, msgspec.Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
]
ShortText = Annotated[str, msgspec.Meta(max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
IdentityValue = Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
