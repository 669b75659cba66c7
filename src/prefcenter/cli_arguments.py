"""Argument types for free text given on the command line: the API's rules (``vocabulary.py``), so a NUL or an
escape sequence in an id, a note or a reason is refused with a plain message and exit status 2 (argparse)."""

from __future__ import annotations

import argparse
import re

from prefcenter.vocabulary import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN

_SINGLE_LINE = re.compile(SINGLE_LINE_PATTERN)
_MULTI_LINE = re.compile(MULTI_LINE_PATTERN)


def single_line(value: str) -> str:
    """An id, a name, a key: no control characters at all."""
    if not _SINGLE_LINE.search(value):
        raise argparse.ArgumentTypeError("must be one line of text without control characters")
    return value


def multi_line(value: str) -> str:
    """A note or a reason: tab, newline and carriage return allowed, no other control character."""
    if not _MULTI_LINE.search(value):
        raise argparse.ArgumentTypeError(
            "must be text without control characters (tab and line breaks are fine)"
        )
    return value
