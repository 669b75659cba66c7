"""How callers name a subject in a consent check: ``<uuid>``, ``external_id:<id>`` or an identity
``<kind>:<value>``, turned into a ``SubjectRef`` the projection readers look up (identities by lookup hash)."""

from __future__ import annotations

import re
import uuid

from prefcenter.core.crypto import lookup_hash
from prefcenter.core.normalise import IDENTITY_KINDS, InvalidIdentity, normalise_identity
from prefcenter.errors import InvalidInput
from prefcenter.store.projection_rows import SubjectRef

MAX_SUBJECT_CHARS = 400
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_subject_ref(raw: str, pepper: bytes) -> SubjectRef:
    """``<uuid>`` or ``id:<uuid>``; ``external_id:<id>`` or ``ext:<id>``; ``<kind>:<value>`` (an identity);
    anything else is an external id.

    The text itself is checked here, for every path (single check, batch, stream, check workers), so a batch
    answers a bad subject with that item's own error: at most ``MAX_SUBJECT_CHARS`` characters, not blank,
    no control character (C0 or DEL; PostgreSQL cannot even compare text holding NUL)."""
    if len(raw) > MAX_SUBJECT_CHARS:
        raise InvalidInput(f"subject is longer than {MAX_SUBJECT_CHARS} characters")
    if not raw.isprintable() and _CONTROL.search(raw):  # isprintable: the usual subject in C, no regex
        raise InvalidInput("subject holds a control character")
    kind, sep, rest = raw.partition(":")
    if sep:
        if kind in IDENTITY_KINDS:
            try:
                value = normalise_identity(kind, rest)
            except InvalidIdentity as exc:
                raise InvalidInput(f"subject {kind} identity: {exc}") from None
            return SubjectRef("identity", lookup_hash(pepper, kind, value))
        if kind in ("external_id", "ext"):
            if not rest:
                raise InvalidInput("subject external_id is empty")
            return SubjectRef("external_id", rest)
        if kind == "id":
            return SubjectRef("id", _uuid(rest))
    if len(raw) == 36 and raw.count("-") == 4:
        try:
            return SubjectRef("id", str(uuid.UUID(raw)))
        except ValueError:
            pass
    if not raw.strip():
        raise InvalidInput("subject is empty")
    return SubjectRef("external_id", raw)


def _uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput("subject id:<id> must be a UUID") from None
