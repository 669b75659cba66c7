"""What the service writes under its data directory is owner-only: 0600 files, 0700 directories it makes
(the SQLite database and its WAL/SHM files, development mail, keys, demo credentials), whatever the umask."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from prefcenter.notify.sender import Message
from prefcenter.private_files import keep_private, open_private
from prefcenter.settings import DatabaseSettings
from prefcenter.store import migrate
from prefcenter.store.database import Database
from tests.conftest import close_api, make_settings, open_api

PREFCENTER = str(Path(sys.executable).with_name("prefcenter"))


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)  # the common default, under which files were created 0644
    yield
    os.umask(previous)


async def test_the_sqlite_database_and_its_wal_and_shm_files_are_0600(tmp_path, usual_umask):
    db_file = tmp_path / "data" / "nested" / "prefcenter.db"
    settings = dataclasses.replace(
        make_settings(tmp_path / "var", ""), database=DatabaseSettings(url=f"sqlite+aiosqlite:///{db_file}")
    )
    migrate.upgrade(settings.database.url)
    assert _mode(db_file) == 0o600
    assert _mode(db_file.parent) == 0o700 and _mode(db_file.parent.parent) == 0o700
    api = await open_api(settings)
    try:
        await api.new_subject(
            identities=[{"kind": "email", "value": f"w-{uuid.uuid4().hex[:8]}@example.com"}]
        )
        wal, shm = db_file.with_name("prefcenter.db-wal"), db_file.with_name("prefcenter.db-shm")
        assert wal.exists() and shm.exists()  # while the app has the database open
        assert (_mode(db_file), _mode(wal), _mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        await close_api(api)


async def test_a_database_an_older_version_left_readable_is_narrowed(tmp_path, usual_umask):
    settings = make_settings(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path / 'var' / 'prefcenter.db'}")
    migrate.upgrade(settings.database.url)
    db_file = settings.database.sqlite_path
    os.chmod(db_file, 0o644)
    database = Database(settings.database.url)
    try:
        assert _mode(db_file) == 0o600
        await database.ping()
    finally:
        await database.dispose()


async def test_development_mail_is_0600_in_a_0700_directory(api, usual_umask):
    mail = api.settings.var_dir / "mail"
    before = set(mail.glob("*.eml")) if mail.exists() else set()
    await api.ctx.sender.send(Message(to="ann@example.com", subject="Confirm", text="Please confirm"))
    (written,) = set(mail.glob("*.eml")) - before
    assert _mode(written) == 0o600
    assert _mode(mail) == 0o700


def test_open_private_and_keep_private_narrow_existing_files(tmp_path, usual_umask):
    existing = tmp_path / "report.csv"
    existing.write_text("old")
    assert _mode(existing) == 0o644
    with open_private(existing) as out:
        out.write("new")
    assert (_mode(existing), existing.read_text()) == (0o600, "new")
    other = tmp_path / "other.db"
    other.write_text("")
    keep_private(other)
    assert _mode(other) == 0o600
    with pytest.raises(FileExistsError):
        open_private(existing, exclusive=True)


def test_a_fresh_data_directory_from_the_cli_is_owner_only(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    var = tmp_path / "srv" / "var"
    env["PREFCENTER_VAR_DIR"] = str(var)
    env["PREFCENTER_LOG_FORMAT"] = "json"
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run(
            [PREFCENTER, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert done.returncode == 0, done.stderr
    assert _mode(var) == 0o700 and _mode(var.parent) == 0o700
    written = [p for p in var.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"prefcenter.db", "master.key", "demo-credentials.json"}
    assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
