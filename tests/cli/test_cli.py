"""The real CLI, as an operator runs it: exit codes, plain messages, secrets shown once."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.conftest import make_settings
from tests.support.cli import run
from tests.support.live_server import server_env


@pytest.fixture
def sqlite_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env["PREFCENTER_VAR_DIR"] = str(tmp_path / "var")
    env["PREFCENTER_LOG_FORMAT"] = "json"
    return env


def test_embedded_default_generates_private_keys_and_migrates(sqlite_env, tmp_path):
    run(sqlite_env, "db", "upgrade")
    var = tmp_path / "var"
    for name in ("master.key", "pepper.key", "signing.key"):
        assert (var / name).stat().st_mode & 0o777 == 0o600
    assert (var / "prefcenter.db").exists()
    assert "(head)" in run(sqlite_env, "db", "current").stdout


def test_clients_create_prints_the_secret_once_and_stores_a_hash(sqlite_env, tmp_path):
    run(sqlite_env, "db", "upgrade")
    out = run(
        sqlite_env,
        "clients",
        "create",
        "--name",
        "crm",
        "--scopes",
        "consent:check preferences:read",
        "--json",
    )
    created = json.loads(out.stdout)
    assert created["scopes"] == ["consent:check", "preferences:read"]
    listing = run(sqlite_env, "clients", "list").stdout
    assert created["client_id"] in listing and created["client_secret"] not in listing
    raw = (tmp_path / "var" / "prefcenter.db").read_bytes()
    assert created["client_secret"].encode() not in raw

    bad = run(sqlite_env, "clients", "create", "--scopes", "root", check=False)
    assert bad.returncode != 0 and "unknown scope" in bad.stderr and "Traceback" not in bad.stderr


def test_audit_verify_exit_codes(sqlite_env, tmp_path):
    run(sqlite_env, "db", "upgrade")
    run(sqlite_env, "demo")
    ok = run(sqlite_env, "audit", "checkpoint")
    assert "audit log OK" in ok.stdout
    import sqlite3

    db = sqlite3.connect(tmp_path / "var" / "prefcenter.db")
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET actor_id = 'mallory' WHERE seq = 3")
    db.commit()
    db.close()
    bad = run(sqlite_env, "audit", "verify", check=False)
    assert bad.returncode == 1 and "seq 3" in bad.stderr


def test_postgres_without_keys_is_a_clear_startup_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env["PREFCENTER_DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    env["PREFCENTER_VAR_DIR"] = str(tmp_path / "var")
    result = run(env, "clients", "list", check=False)
    assert result.returncode == 2
    assert "PREFCENTER_MASTER_KEY_FILE" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "master.key").exists()


def test_keys_generate_refuses_to_overwrite(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    run(env, "keys", "generate", "--dir", str(tmp_path / "k"))
    again = run(env, "keys", "generate", "--dir", str(tmp_path / "k"), check=False)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_postgres_with_key_files_migrates(pg_base, tmp_path):
    from tests.support.postgres import create_database

    settings = make_settings(tmp_path / "var", create_database(pg_base, f"cli_db_{uuid.uuid4().hex[:12]}"))
    env = server_env(settings)  # its own var dir: nothing is written into the checkout
    run(env, "db", "upgrade")
    run(env, "demo")
    assert "audit log OK" in run(env, "audit", "verify").stdout


def test_demo_credentials_left_from_another_database_are_replaced(sqlite_env, tmp_path):
    """`make run` after the database was deleted (or made elsewhere) but demo-credentials.json kept: the demo
    client is made again and the file names a secret this database accepts."""
    run(sqlite_env, "db", "upgrade")
    var = tmp_path / "var"
    (var / "demo-credentials.json").write_text(
        json.dumps(
            {"client_id": "demo-client", "client_secret": "from-another-database", "demo_subject_id": "x"}
        )
    )
    printed = json.loads(run(sqlite_env, "demo").stdout)
    assert printed["client_secret"] != "from-another-database"
    assert (
        json.loads((var / "demo-credentials.json").read_text())["client_secret"] == printed["client_secret"]
    )
