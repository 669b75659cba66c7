"""``prefcenter sites`` as an operator runs it: set, list, delete, plain errors, audited changes."""

from __future__ import annotations

import json
import os

import pytest

from tests.cli.test_cli import run


@pytest.fixture
def sqlite_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFCENTER_")}
    env["PREFCENTER_VAR_DIR"] = str(tmp_path / "var")
    env["PREFCENTER_LOG_FORMAT"] = "json"
    return env


def test_sites_set_list_delete(sqlite_env):
    run(sqlite_env, "db", "upgrade")
    out = run(
        sqlite_env,
        "sites", "set", "shop", "--name", "Shop",
        "--origin", "https://shop.example.com", "--origin", "HTTP://LOCALHOST:5173", "--touchpoint", "web",
    ).stdout  # fmt: skip
    assert "https://shop.example.com http://localhost:5173" in out
    run(sqlite_env, "sites", "set", "blog", "--name", "Blog", "--origin", "https://blog.example.com")

    listing = run(sqlite_env, "sites", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in listing] == ["blog", "shop"]
    sites = json.loads(run(sqlite_env, "sites", "list", "--json").stdout)
    shop = next(s for s in sites if s["key"] == "shop")
    assert (
        shop["origins"] == ["https://shop.example.com", "http://localhost:5173"]
        and shop["touchpoint"] == "web"
    )

    assert "deleted site blog" in run(sqlite_env, "sites", "delete", "blog").stdout
    assert [s["key"] for s in json.loads(run(sqlite_env, "sites", "list", "--json").stdout)] == ["shop"]

    for args, message in (
        (("sites", "delete", "blog"), "no site blog"),
        (("sites", "set", "x", "--name", "X", "--origin", "https://x.example.com/path"), "origin"),
        (
            ("sites", "set", "y", "--name", "Y", "--origin", "https://shop.example.com"),
            "belongs to site shop",
        ),
        (("sites", "set", "Bad Key", "--name", "Z", "--origin", "https://z.example.com"), "match"),
    ):
        bad = run(sqlite_env, *args, check=False)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    assert "audit log OK" in run(sqlite_env, "audit", "verify").stdout
