"""Stored codes as people read them, pure: ``waiting_on_systems`` -> ``Waiting on systems``, ``pos`` ->
``Point of sale``, ``sms`` -> ``SMS``."""

from __future__ import annotations

# Words a plain sentence-case rendering would get wrong: abbreviations and short codes.
WORDS = {
    "api": "API",
    "ces": "CES",
    "cli": "CLI",
    "csat": "CSAT",
    "dsr": "DSR",
    "gpc": "GPC",
    "nps": "NPS",
    "pos": "point of sale",
    "sms": "SMS",
    "sso": "SSO",
    "totp": "TOTP",
    "url": "URL",
}


def readable(value: object) -> str:
    """A code (``snake_case`` or ``dotted.name``) as a sentence-case phrase; empty for None."""
    if value is None:
        return ""
    words = str(value).replace("_", " ").replace(".", " ").split()
    text = " ".join(WORDS.get(word.lower(), word) for word in words)
    return text[:1].upper() + text[1:]
