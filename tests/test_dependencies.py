"""Every package the app and the library import is one pyproject.toml names: a fresh
install (CI, a newcomer's machine) has only those. One was missing once, and only a
fresh clone's page showed it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"geo", "ui", "tests", "scripts"}


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """The nodes under ``if TYPE_CHECKING:``: stubs for mypy (the test extras), not
    imported when the app runs."""
    inside: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                inside |= set(ast.walk(statement))
    return inside


def imported_top_modules(paths: list[Path]) -> set[str]:
    found = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        for node in ast.walk(tree):
            if node in skipped:
                continue
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - OURS - set(sys.stdlib_module_names) - {"__future__"}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0] for spec in project["dependencies"]]
    return {name.lower().replace("_", "-") for name in names}


def test_every_import_of_the_app_and_library_is_a_declared_dependency():
    code = [ROOT / "app.py", ROOT / "server.py", *ROOT.glob("geo/**/*.py"), *ROOT.glob("ui/*.py")]
    distributions = packages_distributions()
    wanted = declared()
    missing = {}
    for module in sorted(imported_top_modules(code)):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not names & wanted:
            missing[module] = sorted(names)
    # Installed because a declared package requires it (numpy with pandas, PIL with
    # streamlit, ...): fine while that package does; each is named here as a decision.
    came_with = {
        "numpy": "pandas",
        "PIL": "streamlit",
        "branca": "folium",
        "starlette": "streamlit",
        "morecantile": "rio-tiler",
        "jinja2": "folium",
        "geographiclib": "geopy",
        "pystac": "pystac-client",
        "requests": "pystac-client",
    }
    undeclared = {}
    for module, distribution in missing.items():
        parent = came_with.get(module)
        needs = (
            {
                re.split(r"[<>=!~ \[;(]", spec, maxsplit=1)[0].lower().replace("_", "-")
                for spec in (requires(parent) or [])
            }
            if parent in wanted
            else set()
        )
        if not needs & set(distribution):
            undeclared[module] = distribution
    assert undeclared == {}, f"imported but not in pyproject.toml's dependencies: {undeclared}"
