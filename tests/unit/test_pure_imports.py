"""The pure domain modules import without Flask and SQLAlchemy (in a fresh interpreter with
both blocked), and so does the plugin API's front door."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    "strideguard",  # the front door: hookimpl, hookspec, PLUGIN_API_VERSION
    "strideguard.load",
    "strideguard.load.weekly",
    "strideguard.load.windows",
    "strideguard.guidance.snapshot",
    "strideguard.guidance.advice",
    "strideguard.guidance.rules",
    "strideguard.guidance.detectors",
    "strideguard.guidance.engine",
    "strideguard.guidance.builder",
    "strideguard.guidance.wording",
    "strideguard.guidance.hookspecs",
    "strideguard.plan.machine",
    "strideguard.plan.phases",
    "strideguard.plan.view",
    "strideguard.reminders.planner",
    "strideguard.imports.parse",
    "strideguard.imports.parse.gpx",
    "strideguard.imports.parse.tcx",
    "strideguard.imports.parse.fit",
    "strideguard.imports.parse.strava",
    "strideguard.imports.parse.sports",
    "strideguard.imports.parse.xmlsafe",
    "strideguard.imports.archive",
    "strideguard.imports.dedupe",
    "strideguard.imports.plausible",
    "strideguard.reminders.retry",
]
BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"flask", "sqlalchemy", "flask_sqlalchemy", "flask_smorest",
                                  "marshmallow", "werkzeug", "psycopg"}:
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"flask", "sqlalchemy"})
assert not loaded, loaded
from strideguard import hookimpl, PLUGIN_API_VERSION
assert PLUGIN_API_VERSION == 1
print("ok")
"""


def test_pure_modules_import_with_flask_and_sqlalchemy_blocked() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BLOCKER, *PURE], capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": f"{ROOT / 'server'}:{ROOT / 'plugins'}", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name", ["strideguard.plan.service", "strideguard.guidance.service"])
def test_the_blocker_really_blocks(name: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", BLOCKER, name], capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": f"{ROOT / 'server'}:{ROOT / 'plugins'}", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode != 0 and "blocked" in out.stderr
