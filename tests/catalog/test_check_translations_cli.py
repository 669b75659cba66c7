"""``prefcenter catalog check-translations`` as an operator runs it, on the demo catalog."""

from __future__ import annotations

import json

from tests.cli.test_cli import run, sqlite_env  # noqa: F401  (the fixture)


def test_check_translations_lists_the_gaps(sqlite_env):  # noqa: F811
    run(sqlite_env, "db", "upgrade")
    run(sqlite_env, "demo")
    gaps = json.loads(run(sqlite_env, "catalog", "check-translations", "--locale", "de", "--json").stdout)
    assert {"locale": "de", "kind": "topic", "key": "offers"} in gaps
    assert {"locale": "de", "kind": "notice", "key": "newsletter"} in gaps
    assert {"locale": "de", "kind": "channel", "key": "email"} in gaps
    assert {g["locale"] for g in gaps} == {"de"}
    strict = run(sqlite_env, "catalog", "check-translations", "--strict", check=False)
    assert strict.returncode == 1 and "missing translation(s)" in strict.stdout
