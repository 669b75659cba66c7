"""Every file the service reads at run time besides Python code (templates, the widget bundles) ships in
the package: a non-editable install (the Dockerfile's) must find each of them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "prefcenter"


def test_package_data_patterns_cover_every_non_python_file():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "prefcenter"
    ]
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern) if path.is_file()}
    needed = {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    missing = sorted(str(p.relative_to(PACKAGE)) for p in needed - shipped)
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"
