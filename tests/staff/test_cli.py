"""``prefcenter staff`` as an operator runs it (a real subprocess): add prints a one-time link, list,
reset-password, disable, and the last active admin stays."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.cli import run


@pytest.fixture
def env(tmp_path):
    made = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    made.update(PREFCENTER_VAR_DIR=str(tmp_path / "var"), PREFCENTER_LOG_FORMAT="json")
    made["PREFCENTER_PUBLIC_URL"] = "https://console.example.com"
    run(made, "db", "upgrade")
    return made


def test_staff_commands(env, tmp_path):
    added = run(env, "staff", "add", "Ann@Example.com", "--name", "Ann Admin", "--role", "admin")
    assert "added ann@example.com (admin" in added.stdout and added.stderr == ""
    link = added.stdout.strip().splitlines()[-1].strip()
    assert link.startswith("https://console.example.com/admin/set-password/")
    assert link.rsplit("/", 1)[1].encode() not in (tmp_path / "var" / "prefcenter.db").read_bytes()

    run(env, "staff", "add", "bob@example.com", "--name", "Bob", "--role", "agent")
    listing = run(env, "staff", "list").stdout
    assert "ann@example.com\tadmin\tactive" in listing and "bob@example.com\tagent\tactive" in listing
    people = json.loads(run(env, "staff", "list", "--json").stdout)
    assert {p["email"] for p in people} == {"ann@example.com", "bob@example.com"}

    again = run(env, "staff", "reset-password", "ann@example.com").stdout.strip().splitlines()[-1].strip()
    assert again.startswith("https://console.example.com/admin/set-password/") and again != link

    last = run(env, "staff", "disable", "ann@example.com", check=False)
    assert last.returncode != 0 and "last active admin" in last.stderr and "Traceback" not in last.stderr
    assert "disabled bob@example.com" in run(env, "staff", "disable", "BOB@example.com").stdout
    assert "bob@example.com\tagent\tdisabled" in run(env, "staff", "list").stdout

    bad = run(env, "staff", "add", "carl@example.com", "--name", "Carl", "--role", "root", check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    twice = run(env, "staff", "add", "ann@example.com", "--name", "Ann", "--role", "agent", check=False)
    assert twice.returncode != 0 and "exists already" in twice.stderr
    missing = run(env, "staff", "disable", "nobody@example.com", check=False)
    assert missing.returncode != 0 and "no staff member" in missing.stderr
