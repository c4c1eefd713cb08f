"""The layers run one way (STYLE habit 13), read from the imports themselves (ast), so an
arrow that runs back up fails here rather than in review:

* ``day/`` (the runner's day) stands on ``load/``'s arithmetic and nothing else of ours;
  ``load/`` stands on nothing of ours.
* ``plan/`` never imports ``guidance/`` (the care plan is below the rules that word it).
* The modules that say they are pure — ``(PURE)`` in their docstring's first line, or
  living in a pure package — are the ones ``test_pure_imports`` imports with Flask and
  SQLAlchemy blocked: that list is derived here, not kept by hand.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "server"
PACKAGE = ROOT / "strideguard"
#: Packages whose every module is pure.
PURE_PACKAGES = ("strideguard.day", "strideguard.load", "strideguard.imports.parse")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once per run. CPython 3.11's ``ast`` can raise
    ``SystemError: AST constructor recursion depth mismatch`` when another thread of the
    process runs Python code at the same moment (gh-106905, an interpreter bug); the parse
    is tried again then — the file itself is fine."""
    for attempt in range(3):
        try:
            return ast.parse(path.read_text())
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def imports_of(path: Path, typing: bool = True) -> set[str]:
    """Every ``strideguard`` module a file imports, at any depth of the file. ``typing``:
    count the imports under ``if TYPE_CHECKING`` too (a circle through them is still a
    circle; they never run, so purity does not count them). ``from pkg import mod`` names
    the module ``pkg.mod``, not the package."""
    known = modules()
    tree = parsed(path)
    skip: set[int] = set()
    if not typing:
        for node in ast.walk(tree):
            if _type_checking(node):
                skip.update(id(inner) for inner in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("strideguard"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("strideguard"):
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(known)
            found.update(subs or {node.module})
    return {name for name in found if name in known or name == "strideguard"}


def pure_modules() -> list[str]:
    """The modules that declare themselves pure: ``(PURE)`` in the docstring's first line,
    or a module of a pure package."""
    out = []
    for name, path in modules().items():
        doc = ast.get_docstring(parsed(path)) or ""
        first = doc.splitlines()[0] if doc else ""
        if "(PURE" in first or any(name == p or name.startswith(p + ".") for p in PURE_PACKAGES):
            out.append(name)
    return out


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("layer,allowed", [
    ("strideguard.day", ("strideguard.day", "strideguard.load")),
    ("strideguard.load", ("strideguard.load",)),
])
def test_the_floor_imports_nothing_above_it(layer: str, allowed: tuple[str, ...]) -> None:
    wrong = {name: sorted(i for i in imports_of(path) if not _within(i, *allowed))
             for name, path in modules().items() if _within(name, layer)}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_plan_never_imports_the_guidance() -> None:
    wrong = {name: sorted(i for i in imports_of(path) if _within(i, "strideguard.guidance"))
             for name, path in modules().items() if _within(name, "strideguard.plan")}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_pure_modules_import_only_pure_modules() -> None:
    """A pure module that imports an impure one of ours is not pure, whatever it says."""
    pure = set(pure_modules()) | {"strideguard"}
    wrong = {name: sorted(i for i in imports_of(modules()[name], typing=False) if i not in pure)
             for name in pure_modules()}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_derived_list_holds_the_domain() -> None:
    """The marker is not forgotten on the modules the design names pure (DESIGN §2)."""
    found = set(pure_modules())
    assert {"strideguard.plan.machine", "strideguard.guidance.rules", "strideguard.guidance.plancards",
            "strideguard.reminders.planner", "strideguard.day.redflags", "strideguard.load.weekly",
            "strideguard.clinic.rules"} <= found


def test_the_arrow_finder_sees_an_arrow(tmp_path: Path) -> None:
    """The parser really finds imports, also inside functions and under TYPE_CHECKING."""
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from strideguard.guidance.advice import Advice\n"
                      "def f():\n    import strideguard.plan.machine\n")
    assert imports_of(source) >= {"strideguard.guidance.advice", "strideguard.plan.machine"}
