"""Stored codes as people read them, pure: ``waiting_on_systems`` -> ``Waiting on systems``."""

from __future__ import annotations


def readable(value: object) -> str:
    """A code (``snake_case`` or ``dotted.name``) as a sentence-case phrase; empty for None."""
    if value is None:
        return ""
    text = str(value).replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]
