"""Identity normalisation and masking (pure, no I/O).

Identities are normalised before they are hashed (``lookup_hash``) or encrypted, so
the same person typed two ways finds the same subject. Error messages never echo the
value itself: it is personal data and error text ends up in logs.

Lookalikes are one person, not two: every value is NFKC-normalised (fullwidth letters and
digits, ligatures, compatibility spaces become their plain forms), invisible format characters
(Unicode category Cf: zero-width space, soft hyphen, joiners, bidi marks) are refused, and an
email domain is IDNA-normalised (UTS #46) to its ASCII form (``bücher.de`` -> ``xn--bcher-kva.de``).

``legacy_normalise_identity`` is the rule before 2026-12 (none of the above). Erasure suppression
entries hashed under it cannot be re-computed (they are hashes only), so suppression checks match a
value under both rules (``suppression_forms``).
"""

from __future__ import annotations

import re
import unicodedata

import idna

IDENTITY_KINDS = ("email", "phone", "customer_id", "device_id")

EMAIL_MAX_LENGTH = 254
OPAQUE_ID_MAX_LENGTH = 200

# One "@", a non-empty local part, a domain made of non-empty dot-separated labels
# with at least one dot. No whitespace or control characters anywhere.
_EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s.\x00-\x1f\x7f]+(?:\.[^@\s.\x00-\x1f\x7f]+)+")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-.()]")
_E164_RE = re.compile(r"\+[1-9][0-9]{7,14}")


class InvalidIdentity(ValueError):
    """An identity value (or identity reference) that cannot be normalised.

    ``str(exc)`` is a human-readable message that does not contain the value.
    """

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind

    def __str__(self) -> str:
        return self.message


def _has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def has_format_chars(value: str) -> bool:
    """Whether ``value`` holds an invisible format character (category Cf: U+200B, U+00AD, U+200D, ...)."""
    return not value.isascii() and any(unicodedata.category(ch) == "Cf" for ch in value)


def _unicode_form(kind: str, value: str) -> str:
    """NFKC, after refusing invisible format characters (ASCII, nearly every value, passes as is)."""
    if value.isascii():
        return value
    if has_format_chars(value):
        raise InvalidIdentity(
            f"{kind} contains invisible formatting characters (e.g. a zero-width space or soft hyphen)",
            kind=kind,
        )
    return unicodedata.normalize("NFKC", value)


def _ascii_domain(email: str) -> str:
    """The email with its domain in IDNA (UTS #46) ASCII form; ASCII domains are kept as they are."""
    local, _, domain = email.rpartition("@")
    if domain.isascii():
        return email
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise InvalidIdentity(
            "the email domain is not a valid internationalised domain name", kind="email"
        ) from None
    return f"{local}@{ascii_domain}"


def _normalise_email(value: str) -> str:
    if value.isascii():  # NFKC and IDNA leave ASCII as it is: the legacy rule is the whole rule (hot path)
        return _legacy_email(value)
    email = _legacy_email(_unicode_form("email", value))
    email = _ascii_domain(email)
    if len(email) > EMAIL_MAX_LENGTH:
        raise InvalidIdentity(f"email address is longer than {EMAIL_MAX_LENGTH} characters", kind="email")
    return email


def _legacy_email(value: str) -> str:
    email = value.strip().lower()
    if not email:
        raise InvalidIdentity("email address is empty", kind="email")
    if len(email) > EMAIL_MAX_LENGTH:
        raise InvalidIdentity(f"email address is longer than {EMAIL_MAX_LENGTH} characters", kind="email")
    if not _EMAIL_RE.fullmatch(email):
        raise InvalidIdentity(
            "not a valid email address (expected one '@', a local part and a domain with a dot)",
            kind="email",
        )
    return email


def _normalise_phone(value: str) -> str:
    phone = _PHONE_SEPARATORS_RE.sub("", _unicode_form("phone", value))
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _E164_RE.fullmatch(phone):
        raise InvalidIdentity(
            "not a valid international phone number (expected E.164: '+' or '00', "
            "then 8 to 15 digits, not starting with 0)",
            kind="phone",
        )
    return phone


def _normalise_opaque(kind: str, value: str) -> str:
    return _legacy_opaque(kind, _unicode_form(kind, value))


def _legacy_opaque(kind: str, value: str) -> str:
    ident = value.strip()
    if not ident:
        raise InvalidIdentity(f"{kind} is empty", kind=kind)
    if len(ident) > OPAQUE_ID_MAX_LENGTH:
        raise InvalidIdentity(f"{kind} is longer than {OPAQUE_ID_MAX_LENGTH} characters", kind=kind)
    if _has_control_chars(ident):
        raise InvalidIdentity(f"{kind} contains control characters", kind=kind)
    return ident


def normalise_identity(kind: str, value: str) -> str:
    """Return the canonical form of an identity value, or raise ``InvalidIdentity``."""
    if kind not in IDENTITY_KINDS:
        raise InvalidIdentity(
            f"unknown identity kind {kind!r} (expected one of: {', '.join(IDENTITY_KINDS)})"
        )
    if not isinstance(value, str):
        raise InvalidIdentity(f"{kind} must be a string", kind=kind)
    if kind == "email":
        return _normalise_email(value)
    if kind == "phone":
        return _normalise_phone(value)
    return _normalise_opaque(kind, value)


def legacy_normalise_identity(kind: str, value: str) -> str:
    """The rule before 2026-12 (trim, lower-case emails, E.164 phones; no NFKC, no IDNA, Cf allowed).

    Only for matching erasure suppression entries hashed under it; never for storing or looking up."""
    if kind not in IDENTITY_KINDS or not isinstance(value, str):
        raise InvalidIdentity("unknown identity kind or not a string", kind=kind)
    if kind == "email":
        return _legacy_email(value)
    if kind == "phone":
        phone = _PHONE_SEPARATORS_RE.sub("", value)
        if phone.startswith("00"):
            phone = "+" + phone[2:]
        if not _E164_RE.fullmatch(phone):
            raise InvalidIdentity("not a valid international phone number", kind="phone")
        return phone
    return _legacy_opaque(kind, value)


def suppression_forms(kind: str, value: str) -> tuple[str, ...]:
    """The normalised forms an erasure suppression entry for ``value`` may have been hashed from: the
    current rule first, then the legacy one when it differs (raises ``InvalidIdentity`` like
    ``normalise_identity``)."""
    current = normalise_identity(kind, value)
    if value.isascii():  # both rules agree on ASCII
        return (current,)
    try:
        legacy = legacy_normalise_identity(kind, value)
    except InvalidIdentity:
        return (current,)
    return (current,) if legacy == current else (current, legacy)


def mask_identity(kind: str, normalised: str) -> str:
    """A display-safe hint of an identity, e.g. ``a***@e***.com`` or ``+49*******678``.

    The number of stars is fixed, so the mask does not reveal the value's length.
    """
    if kind == "email" and "@" in normalised:
        local, _, domain = normalised.rpartition("@")
        head, dot, tld = domain.rpartition(".")
        if not dot:
            head, tld = domain, ""
        masked_domain = f"{head[:1]}***" + (f".{tld}" if tld else "")
        return f"{local[:1]}***@{masked_domain}"
    if kind == "phone" and len(normalised) > 6:
        return f"{normalised[:3]}*******{normalised[-3:]}"
    return f"{normalised[:2]}***"


def parse_identity_ref(ref: str) -> tuple[str, str]:
    """Parse ``"kind:value"`` (e.g. ``"email:Ann@Example.com"``) into ``(kind, normalised)``."""
    if not isinstance(ref, str) or ":" not in ref:
        raise InvalidIdentity("identity reference must look like 'kind:value', e.g. 'email:ann@example.com'")
    kind, _, value = ref.partition(":")
    kind = kind.strip()
    return kind, normalise_identity(kind, value)
