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
ActorType = Literal["customer", "agent", "client", "staff", "system"]
"""Who made a change: the customer, an agent acting for them, an API client, a named staff member, a job."""
StaffRole = Literal["admin", "officer", "agent", "analyst"]
DsrSource = Literal["api", "cli", "admin", "self_service"]
"""Where a GDPR request was filed: the API, the command line, the admin console, the privacy center."""

# Free text from outside. msgspec matches patterns with ``re.search``, where ``$`` also matches before a final
# newline: ``(?!\n)$`` makes every single-line pattern end at the end of the text (JSON Schema reads it the same).
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*(?!\n)$"
"""No C0 control character (NUL, tab, line breaks, escape, ...) and no DEL: ids, names, query parameters."""
NOT_IN_URLS = r"\s\x00-\x1f\x7f-\x9f\ufeff"
"""For a negated character class, what a URL never holds: white space, control characters (C0, DEL, C1)
and the BOM, the same set whether a pattern is read by Python (the server) or JavaScript (the OpenAPI
document's readers), whose white-space classes differ on U+001C-U+001F, U+0085 and U+FEFF."""
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Tab, LF and CR allowed, every other C0 control character and DEL refused: notes, reasons, descriptions."""
SingleLineText = Annotated[str, msgspec.Meta(pattern=SINGLE_LINE_PATTERN)]
MultiLineText = Annotated[str, msgspec.Meta(pattern=MULTI_LINE_PATTERN)]
CURSOR_PATTERN = r"^[A-Za-z0-9_\-]*(?!\n)$"
"""A page cursor as this API hands it out: base64url without padding."""

KEY_PATTERN = r"^[a-z][a-z0-9_\-]*(?!\n)$"
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=KEY_PATTERN)]
TopicKey = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=KEY_PATTERN)]
Language = Annotated[
    str, msgspec.Meta(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*(?!\n)$")
]
ShortText = Annotated[str, msgspec.Meta(max_length=200, pattern=SINGLE_LINE_PATTERN)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000, pattern=MULTI_LINE_PATTERN)]
Reason = Annotated[str, msgspec.Meta(max_length=500, pattern=MULTI_LINE_PATTERN)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=SINGLE_LINE_PATTERN)]
IdentityValue = Annotated[str, msgspec.Meta(min_length=1, max_length=320, pattern=SINGLE_LINE_PATTERN)]

# which identity kinds reach a channel (a channel not named here is reached without an address of its own)
CHANNEL_IDENTITY_KINDS = {"email": ("email",), "sms": ("phone",), "phone": ("phone",), "push": ("device_id",)}
