"""CSV injection: the one cell rule every CSV the product writes goes through (core/csv_cells.py)."""

from __future__ import annotations

import csv
import io

from hypothesis import example, given
from hypothesis import strategies as st

from prefcenter.core.csv_cells import FORMULA_TRIGGERS, neutralise_cell, neutralise_row

TRIGGERS = sorted(FORMULA_TRIGGERS)
phone_numbers = st.from_regex(r"\A\+[1-9][0-9]{7,14}\Z")
cells = st.one_of(
    st.text(),
    st.builds(lambda first, rest: first + rest, st.sampled_from(TRIGGERS), st.text()),
    phone_numbers,
)


def _is_phone_number(value: str) -> bool:
    return value[:1] == "+" and value[1:].isascii() and value[1:].isdigit()


@given(cells)
@example("=cmd|'/c calc'!A0@evil.example")
@example("@SUM(1+1)*cmd|' /C calc'!A0")
@example("+1+cmd|'/c calc'!A0")
@example("-2+3")
@example("\t=1+1")
@example("\r=1+1")
@example("+")
@example("+١٢٣")  # Arabic-Indic digits are not an E.164 number
@example("")
def test_no_cell_reaches_a_spreadsheet_as_a_formula(value):
    cell = neutralise_cell(value)
    if _is_phone_number(value):
        assert cell == value  # providers need E.164 numbers exactly
    elif value[:1] in FORMULA_TRIGGERS:
        assert cell == "'" + value  # shown as text, the content kept after the quote
    else:
        assert cell == value  # everything else untouched
    assert cell[:1] not in FORMULA_TRIGGERS or _is_phone_number(cell)
    assert neutralise_cell(cell) == cell  # neutralising twice adds nothing


@given(phone_numbers)
def test_e164_phone_numbers_are_kept_exactly(number):
    assert neutralise_cell(number) == number


@given(st.lists(st.one_of(cells, st.integers(), st.none(), st.booleans())))
def test_a_row_keeps_its_shape_and_non_text_cells(row):
    out = neutralise_row(row)
    assert len(out) == len(row)
    for before, after in zip(row, out, strict=True):
        assert after == (neutralise_cell(before) if isinstance(before, str) else before)


@given(st.lists(cells, min_size=1, max_size=5))
def test_written_csv_reads_back_neutralised(row):
    out = io.StringIO()
    csv.writer(out).writerow(neutralise_row(row))
    (read,) = csv.reader(io.StringIO(out.getvalue(), newline=""))
    assert read == [neutralise_cell(c) for c in row] or row == [""]
