"""The import format: documented in `prefcenter import --help`, and unknown names refused, never ignored
(an unknown CSV column refuses the file up front; an unknown NDJSON field rejects its line)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import func, select

from prefcenter.imports import service
from prefcenter.imports.cli import write_reject_report
from prefcenter.imports.schemas import ImportConsent, ImportIdentity, ImportPreference, ImportRecord
from prefcenter.imports.source import CSV_COLUMNS, UnusableHeader
from prefcenter.store.models import Subject
from tests.conftest import BACKENDS, make_settings
from tests.support.live_server import server_env

PREFCENTER = str(Path(sys.executable).with_name("prefcenter"))


async def _subjects(api, *external_ids: str) -> int:
    async with api.ctx.db.read_session() as s:
        query = select(func.count()).select_from(Subject).where(Subject.external_id.in_(external_ids))
        return (await s.execute(query)).scalar_one()


async def _import_csv(api, text: str):
    return await service.import_file(api.ctx, io.BytesIO(text.encode()), "csv", "t.csv")


async def test_an_unknown_csv_column_refuses_the_file_before_any_row(api):
    tag = uuid.uuid4().hex[:8]
    text = (
        "external_id,email,consent_topc,consent_channels,granted_at,Notes\n"  # consent_topic misspelt
        f"u-{tag},u-{tag}@example.com,offers,email,2026-10-01T10:00:00Z,VIP\n"
    )
    with pytest.raises(UnusableHeader) as refused:
        await _import_csv(api, text)
    message = str(refused.value)
    assert "'consent_topc'" in message and "'notes'" in message and "consent_topic" in message
    assert await _subjects(api, f"u-{tag}") == 0  # not imported without the consent it was meant to carry


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("external_id,,email", "column 2 of the header has no name"),
        ("email,Email", "'email' named more than once"),
    ],
)
async def test_unnamed_and_repeated_csv_columns_refuse_the_file(api, header, named):
    tag = uuid.uuid4().hex[:8]
    with pytest.raises(UnusableHeader, match=named):
        await _import_csv(api, f"{header}\nr-{tag},x,r-{tag}@example.com\n")
    assert await _subjects(api, f"r-{tag}") == 0


async def test_csv_cells_beyond_the_header_reject_their_row(api):
    tag = uuid.uuid4().hex[:8]
    text = f"external_id,email\nx-{tag}-1,x1-{tag}@example.com,opted_out\nx-{tag}-2,x2-{tag}@example.com,\n"
    report = await _import_csv(api, text)
    assert report.imported == 1  # an empty trailing cell holds nothing
    ((line, reason),) = report.rejected
    assert line == 2 and "3 cells" in reason and "2 columns" in reason
    assert await _subjects(api, f"x-{tag}-1") == 0 and await _subjects(api, f"x-{tag}-2") == 1


async def test_an_unknown_ndjson_field_rejects_its_line_naming_it(api):
    tag = uuid.uuid4().hex[:8]
    rows = [
        {"external_id": f"n-{tag}-1", "notes": "VIP"},
        {
            "external_id": f"n-{tag}-2",
            "preferences": [{"channel": "email", "topic": "*", "status": "opted_out", "reason": "asked"}],
        },
        {"external_id": f"n-{tag}-3", "email": f"n3-{tag}@example.com"},
    ]
    stream = io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in rows))
    report = await service.import_file(api.ctx, stream, "ndjson", "t.ndjson")
    assert report.imported == 1
    reasons = dict(report.rejected)
    assert sorted(reasons) == [1, 2]
    assert "unknown field `notes`" in reasons[1]
    assert "unknown field `reason`" in reasons[2] and "preferences[0]" in reasons[2]
    assert await _subjects(api, f"n-{tag}-1", f"n-{tag}-2") == 0


def test_help_documents_every_csv_column_and_ndjson_field():
    result = subprocess.run([PREFCENTER, "import", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for column in CSV_COLUMNS:
        assert column in result.stdout, column
    for struct in (ImportRecord, ImportIdentity, ImportPreference, ImportConsent):
        for field in msgspec.structs.fields(struct):
            assert f'"{field.encode_name}"' in result.stdout, (struct.__name__, field.name)
    assert "unknown" in result.stdout.lower() and "refuse" in result.stdout.lower()


def test_the_reject_report_is_private_and_its_cells_are_neutralised(tmp_path):
    previous = os.umask(0o022)
    try:
        path = tmp_path / "new" / "report.csv"
        write_reject_report(path, [(2, '=HYPERLINK("http://evil.example")'), (3, "+49151 is not a row")])
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.read_text().splitlines()[1:] == [
        '2,"\'=HYPERLINK(""http://evil.example"")"',
        "3,'+49151 is not a row",
    ]


@pytest.fixture(params=BACKENDS)
def cli_env(request, tmp_path) -> dict[str, str]:
    """The environment an operator runs the CLI in, against a fresh database of either engine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env["PREFCENTER_VAR_DIR"] = str(tmp_path / "var")
    env["PREFCENTER_LOG_FORMAT"] = "json"
    if request.param == "postgres":
        from tests.support.postgres import create_database

        settings = make_settings(
            tmp_path / "var",
            create_database(request.getfixturevalue("pg_base"), f"imp_{uuid.uuid4().hex[:12]}"),
        )
        env = server_env(settings)  # its own var dir: nothing is written into the checkout
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([PREFCENTER, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return env


def _import(env, path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PREFCENTER, "import", str(path), "--workers", "0", "--progress", "never", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )


def test_cli_refuses_an_unknown_csv_column_and_writes_a_private_report(cli_env, tmp_path):
    refused = tmp_path / "refused.csv"
    refused.write_text("external_id,emial\nc-1,c1@example.com\n")
    result = _import(cli_env, refused)
    assert result.returncode == 2, result.stderr
    assert "unknown column 'emial'" in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "refused.csv.rejected.csv").exists()

    mixed = tmp_path / "mixed.ndjson"
    mixed.write_text('{"external_id": "c-2"}\n{"external_id": "c-3", "emial": "c3@example.com"}\n')
    result = _import(cli_env, mixed)
    assert result.returncode == 0, result.stderr
    assert "1 rows imported" in result.stderr and "1 rejected" in result.stderr
    report = tmp_path / "mixed.ndjson.rejected.csv"
    assert report.stat().st_mode & 0o777 == 0o600
    assert "unknown field `emial`" in report.read_text()
