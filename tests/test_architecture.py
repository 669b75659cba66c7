"""The shape of the code, held as data: parts, the imports allowed between them, no circles.

docs/architecture.md draws the same picture. A forbidden import fails here with the file, the line and the
rule it breaks; changing the shape means changing this data (and the picture) in the same commit."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "prefcenter"
REFERENCE = re.compile(r"^prefcenter(\.\w+)+:\w+$")

# Modules outside an area folder, by the part they belong to.
LOOSE_MODULES = {
    "prefcenter.errors": "core",
    "prefcenter.vocabulary": "core",
    "prefcenter.i18n": "core",
    "prefcenter.settings": "config",
    "prefcenter.keys": "config",
    "prefcenter.logs": "config",
    "prefcenter.worker_processes": "config",
    "prefcenter.private_files": "config",
    "prefcenter.cli_support": "wiring",
    "prefcenter.cli_arguments": "wiring",
    "prefcenter.area_declaration": "wiring",
    "prefcenter.context": "context",
    "prefcenter": "core",  # the package's face: its version only
    "prefcenter.app": "shell",
    "prefcenter.cli": "shell",
    "prefcenter.areas": "shell",
    "prefcenter.demo": "shell",
    "prefcenter.openapi_export": "shell",
    "prefcenter.worker": "shell",
}

# The areas, bottom to top: an area may import only the areas listed for it in AREA_ARROWS.
AREAS = [
    "auth",
    "sites",
    "catalog",
    "subjects",
    "link_revocations",
    "consents",
    "checks",
    "suppression",
    "unsubscribe",
    "imports",
    "audit",
    "webhooks",
    "dsr",
    "privacy",
    "insights",
    "interactions",
    "feedback",
    "staff",
    "web",
    "admin",
]

# Floors, bottom to top. A part imports parts on lower floors; areas (one floor) import each other only
# along AREA_ARROWS.
FLOORS = [
    {"core"},
    {"config"},
    {"store"},
    {"jobs", "notify"},
    {"context"},
    {"http"},
    {"wiring"},
    set(AREAS),
    {"shell"},
]

# area -> the areas it may import (one way: the test below refuses a circle among them).
AREA_ARROWS: dict[str, set[str]] = {
    "auth": set(),
    "sites": {"auth"},
    "catalog": {"auth"},
    "subjects": {"auth", "catalog"},
    "link_revocations": {"auth", "subjects"},
    "consents": {"auth", "sites", "catalog", "subjects", "link_revocations"},
    "checks": {"auth", "catalog", "subjects"},
    "suppression": {"auth", "catalog", "subjects", "checks"},
    "unsubscribe": {"auth", "sites", "catalog", "subjects", "consents", "link_revocations"},
    "imports": {"auth", "catalog", "subjects", "consents"},
    "audit": {"auth", "subjects"},
    "webhooks": {"auth", "subjects"},
    "dsr": {"auth", "catalog", "subjects", "consents", "webhooks", "audit", "feedback", "interactions"},
    "privacy": {"dsr"},
    "insights": {"auth", "checks"},
    "interactions": {"auth", "catalog", "subjects"},
    "feedback": {"auth", "checks", "interactions"},
    "staff": {"auth"},
    "web": {
        "auth",
        "catalog",
        "subjects",
        "consents",
        "sites",
        "unsubscribe",
        "link_revocations",
    },
    "admin": {
        "auth",
        "catalog",
        "subjects",
        "consents",
        "audit",
        "dsr",
        "webhooks",
        "staff",
        "interactions",
        "sites",
        "insights",
    },
}

# Arrows that break the floors on purpose, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("context", "auth"): "the app context holds the token issuer every area verifies tokens with",
    (
        "context",
        "sites",
    ): "the app context holds the sites' origin allow list that CORS and widget tokens read",
}

# Only the store talks to database drivers or builds dialect-specific SQL.
DRIVER_MODULES = ("sqlite3", "aiosqlite", "asyncpg", "sqlalchemy.dialects")
DRIVER_PARTS = {"store"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported prefcenter module (or a driver module)
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    if module in LOOSE_MODULES:
        return LOOSE_MODULES[module]
    pieces = module.split(".")
    if len(pieces) >= 2 and pieces[1] in {"core", "store", "jobs", "notify", "http", *AREAS}:
        return pieces[1]
    raise AssertionError(f"{module} belongs to no part: add it to LOOSE_MODULES or AREAS in {__file__}")


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    tree = ast.parse(path.read_text(), str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(module, alias.name, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    base = base[: len(base) - child.level + (1 if path.name == "__init__.py" else 0)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.append(Import(module, target, child.lineno, in_function))
                # "from prefcenter.x import y" where y is a module of its own
                for alias in child.names:
                    candidate = f"{target}.{alias.name}"
                    if candidate in MODULES:
                        found.append(Import(module, candidate, child.lineno, in_function))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports do not run
            else:
                visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(tree, False)
    if path.name == "area.py":
        # An area names its routes, job handlers and sweeps as "module:attribute" references, imported when
        # the shell first uses them (area_declaration.py): they are imports of area.py all the same.
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and REFERENCE.match(node.value):
                found.append(Import(module, node.value.partition(":")[0], node.lineno, False))
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


FILES = sorted(p for p in SRC.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}
IMPORTS = [imp for p in FILES for imp in imports_of(p)]
OWN = [imp for imp in IMPORTS if imp.target in MODULES]


def where(imp: Import) -> str:
    return f"{imp.source.replace('.', '/')}.py:{imp.line} imports {imp.target}"


def test_every_module_belongs_to_a_part():
    for module in MODULES:
        part_of(module)


def test_imports_follow_the_floors():
    floor = {part: i for i, parts in enumerate(FLOORS) for part in parts}
    wrong = []
    for imp in OWN:
        a, b = part_of(imp.source), part_of(imp.target)
        if a == b or (a, b) in EXCEPTIONS:
            continue
        if a in AREA_ARROWS and b in AREA_ARROWS:
            if b not in AREA_ARROWS[a]:
                wrong.append(f"{where(imp)}: area {a} may not import area {b} (AREA_ARROWS)")
        elif floor[b] >= floor[a]:
            wrong.append(f"{where(imp)}: {a} (floor {floor[a]}) may not import {b} (floor {floor[b]})")
    assert not wrong, "\n".join(sorted(wrong))


def test_area_arrows_run_one_way():
    seen: dict[str, int] = {}

    def visit(area: str, trail: list[str]) -> None:
        if seen.get(area) == 1:
            raise AssertionError(f"areas import each other in a circle: {' -> '.join([*trail, area])}")
        if seen.get(area) == 2:
            return
        seen[area] = 1
        for other in sorted(AREA_ARROWS[area]):
            visit(other, [*trail, area])
        seen[area] = 2

    for area in AREA_ARROWS:
        visit(area, [])
    assert set(AREA_ARROWS) == set(AREAS)


def test_no_import_circles_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in OWN:
        if imp.target != imp.source and not _is_package_of(imp.target, imp.source):
            graph[imp.source].add(imp.target)
    circles = _strongly_connected(graph)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in circles)


def test_no_function_local_imports_outside_the_shell():
    """Allowed only where start-up time is the reason: the shell, the area CLIs and the CLI's shared support
    (each command imports what it runs, so `prefcenter --help` stays quick)."""
    local = [
        where(imp)
        for imp in OWN
        if imp.in_function
        and part_of(imp.source) != "shell"
        and not imp.source.endswith(".cli")
        and imp.source != "prefcenter.cli_support"
    ]
    assert not local, (
        "imports inside functions (move them to the top, or fix the circle they hide):\n" + "\n".join(local)
    )


def test_only_the_store_talks_to_database_drivers():
    wrong = [
        where(imp)
        for imp in IMPORTS
        if imp.target.startswith(DRIVER_MODULES) and part_of(imp.source) not in DRIVER_PARTS
    ]
    assert not wrong, "raw driver code outside store/:\n" + "\n".join(wrong)


def _is_package_of(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: every set of two or more modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in list(graph):
        if node not in index:
            connect(node)
    return found
