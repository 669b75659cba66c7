"""What a staff member's search text may name, pure: a subject id, an external id, identities.

The console looks people up by exact match only: an identity through its keyed lookup hash (so the text is
normalised exactly as the API normalises it on the way in), an external id or a subject id by equality.
Nothing here reads plaintext from storage; ``person_query`` only decides which exact lookups to try.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass

from prefcenter.core.normalise import IDENTITY_KINDS, InvalidIdentity, normalise_identity

MAX_QUERY_LENGTH = 340
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9\s\-.()]{5,}")


@dataclass(frozen=True)
class PersonQuery:
    """The exact lookups to try: each may match one subject (an identity belongs to one subject)."""

    subject_id: str | None
    external_id: str | None
    identities: tuple[tuple[str, str], ...]  # (kind, normalised value)


def _identity(kind: str, value: str) -> tuple[str, str] | None:
    try:
        return kind, normalise_identity(kind, value)
    except InvalidIdentity:
        return None


def person_query(text: str) -> PersonQuery:
    """The lookups ``text`` names: ``kind:value`` names one identity; else an email when it holds ``@``, a
    phone when it looks like a number, and always an external id and a customer id; a UUID is also tried as
    a subject id. Text that fits none yields no lookup."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY_LENGTH:
        return PersonQuery(None, None, ())
    kind, sep, value = text.partition(":")
    if sep and kind.strip() in IDENTITY_KINDS:
        named = _identity(kind.strip(), value)
        return PersonQuery(None, None, (named,) if named else ())
    subject_id = None
    with contextlib.suppress(ValueError):
        subject_id = str(uuid.UUID(text))
    candidates: list[tuple[str, str] | None] = []
    if "@" in text:
        candidates.append(_identity("email", text))
    elif _PHONE_LIKE.fullmatch(text):
        candidates.append(_identity("phone", text))
    candidates.append(_identity("customer_id", text))
    return PersonQuery(
        subject_id=subject_id,
        external_id=text,
        identities=tuple(c for c in candidates if c is not None),
    )
