"""Every /v1 operation names its scope in the OpenAPI document, taken from its guard, and the README's
scope table says the same."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from prefcenter.auth.principal import SCOPES
from prefcenter.openapi_export import export_openapi

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "patch", "delete")


def documented_scopes() -> dict[str, list[str]]:
    """``scope -> ["METHOD /path", ...]`` (``*`` marks operations a widget subject token may call)."""
    document = json.loads(export_openapi())
    table: dict[str, list[str]] = defaultdict(list)
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or not path.startswith("/v1/"):
                continue
            (requirement,) = operation["security"]
            (scope,) = requirement["BearerToken"]
            star = "*" if "subject token may call it" in operation["description"] else ""
            table[scope].append(f"`{method.upper()} {path}`{star}")
    return table


def readme_scope_table() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- scopes:start -->")[1].split("<!-- scopes:end -->")[0]
    table: dict[str, list[str]] = {}
    for line in block.splitlines():
        match = re.match(r"\| `([a-z:]+)` \| (.+) \|$", line.strip())
        if match:
            table[match[1]] = [op.strip() for op in match[2].split(", ")]
    return table


def test_every_v1_operation_names_one_scope():
    table = documented_scopes()
    # every scope an API client can hold guards at least one operation (none is decorative)
    assert set(table) == set(SCOPES)
    assert "`POST /v1/unsubscribe-links`" in table["preferences:write"]
    assert "`PATCH /v1/subjects/{subject_id}/preferences`*" in table["preferences:write"]


def test_readme_scope_table_matches_the_server():
    expected = {scope: sorted(ops) for scope, ops in documented_scopes().items()}
    assert {scope: sorted(ops) for scope, ops in readme_scope_table().items()} == expected, (
        "README.md's scope table (between <!-- scopes:start --> and <!-- scopes:end -->) is stale:\n"
        + "\n".join(f"| `{s}` | {', '.join(sorted(o))} |" for s, o in sorted(expected.items()))
    )
