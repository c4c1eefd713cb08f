"""Fixtures for plugin tests: a fresh host per test and tiny real distributions on sys.path."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from strideguard.guidance.host import PluginHost
from strideguard_knee import CONDITIONS as KNEE


@pytest.fixture
def knee_host() -> PluginHost:
    """A fresh host with the five built-in condition plugins registered directly."""
    host = PluginHost(budget_s=2.0)
    for name in KNEE:
        host.register(importlib.import_module(f"strideguard_knee.{name}"), name, "0.1.0", builtin=True)
    return host


MakeDist = Callable[[str, str], None]


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeDist]:
    """Write a real (if tiny) installed distribution: a module plus a ``.dist-info`` folder
    with an entry point in ``strideguard.plugins``, on a sys.path entry of its own."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def make(name: str, source: str) -> None:
        module = f"sgtest_{name}"
        modules.append(module)
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"sgtest_{name}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: sgtest-{name}\nVersion: 1.2.3\n"
        )
        (info / "entry_points.txt").write_text(f"[strideguard.plugins]\n{name} = {module}\n")
        importlib.invalidate_caches()

    yield make
    for module in modules:
        sys.modules.pop(module, None)
