"""Cells of the CSV files prefcenter writes, made safe to open in a spreadsheet (pure, no I/O).

CSV injection (OWASP): a spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
after some imports, with a tab or carriage return) as a formula, whatever the CSV quoting, so a customer
who signs up as ``=cmd|'/c calc'!A0@evil.example`` would run a command on the machine of whoever opens
the export. Every CSV the product writes (suppression export, DSR export zip, ``prefcenter check``
output, import reject reports) passes each cell through ``neutralise_cell``: such a cell gets a leading
single quote, which spreadsheets show as text and never evaluate.

The one exception is an E.164 phone number (``+`` then digits only): it cannot be a formula that does
anything, and the email and SMS providers a suppression list is loaded into need it exactly as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
_PHONE_NUMBER_RE = re.compile(r"\+[0-9]+")


def neutralise_cell(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would read it as a formula, else unchanged."""
    if value[:1] in FORMULA_TRIGGERS and not _PHONE_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def neutralise_row(cells: Iterable[object]) -> list[object]:
    """A row for ``csv.writer``: text cells neutralised; numbers, booleans and None as they are."""
    return [neutralise_cell(cell) if isinstance(cell, str) else cell for cell in cells]
