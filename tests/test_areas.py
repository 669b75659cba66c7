"""The areas' declarations (``<area>/area.py``, listed in ``areas.py``): every reference names what it says,
and the CLI builds its commands without importing what only the server or the worker runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from litestar import Controller, Router
from litestar.handlers import BaseRouteHandler

from prefcenter.area_declaration import load
from prefcenter.areas import AREAS
from prefcenter.jobs.handlers import Handler, Sweep


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.name)
def test_every_reference_loads(area):
    for route in [*area.load_routes(), *area.load_public_routes()]:
        assert isinstance(route, Router | BaseRouteHandler) or issubclass(route, Controller), route
    assert all(isinstance(h, Handler) for h in area.load_job_handlers())
    assert all(isinstance(s, Sweep) for s in area.load_sweeps())


def test_area_names_and_job_kinds_are_unique():
    assert len({a.name for a in AREAS}) == len(AREAS)
    kinds = [h.kind for a in AREAS for h in a.load_job_handlers()]
    sweeps = [s.name for a in AREAS for s in a.load_sweeps()]
    assert len(set(kinds)) == len(kinds) and len(set(sweeps)) == len(sweeps)


def test_a_reference_without_an_attribute_is_refused():
    with pytest.raises(ValueError, match="module:attribute"):
        load("prefcenter.checks.routes")


def test_the_cli_builds_its_commands_without_the_server():
    """`prefcenter --help` and every command's argument parsing import neither the web framework nor the
    database layer: a command imports what it runs (import start-up was ~1 s when every area's routes came
    with the CLI)."""
    heavy = ("litestar", "sqlalchemy", "jinja2", "asyncpg", "aiosqlite", "prefcenter.context")
    code = (
        "import sys, prefcenter.cli; prefcenter.cli.build_parser(); "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
