"""Meta-tests that keep the plugin API honest (after Datasette's test_docs.py)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from strideguard.guidance import hookspecs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "plugins" / "README.md"


def hook_specs() -> dict[str, object]:
    return {
        name: fn
        for name, fn in vars(hookspecs).items()
        if name.startswith("strideguard_") and hasattr(fn, "strideguard_spec")
    }


def signature_line(name: str, fn: object) -> str:
    """``def name(arg: type) -> return``, with the annotations exactly as written."""
    sig = inspect.signature(fn)  # annotations stay strings (postponed evaluation)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {name}({params}) -> {sig.return_annotation}"


def test_there_are_five_hooks_in_version_1() -> None:
    assert hookspecs.PLUGIN_API_VERSION == 1
    assert sorted(hook_specs()) == [
        "strideguard_assess", "strideguard_checkin_questions", "strideguard_conditions",
        "strideguard_exercises", "strideguard_starter_sets",
    ]


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_every_hook_is_documented_with_its_exact_signature(name: str) -> None:
    guide = GUIDE.read_text()
    assert f"### `{name}`" in guide
    assert signature_line(name, hook_specs()[name]) in guide


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_every_hook_spec_has_a_full_docstring(name: str) -> None:
    doc = inspect.getdoc(hook_specs()[name]) or ""
    assert "Return" in doc and "first-result" in doc.lower()
    for param in inspect.signature(hook_specs()[name]).parameters:
        assert f"``{param}``" in doc


def test_hooks_are_not_first_result() -> None:
    for fn in hook_specs().values():
        assert not fn.strideguard_spec.get("firstresult")


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_every_hook_has_a_test(name: str) -> None:
    tests = {
        node.name
        for path in Path(__file__).parent.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
    }
    assert f"test_hook_{name}" in tests
