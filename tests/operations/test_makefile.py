"""``make run`` installs what running needs; ``make test`` adds the test extras (dry runs of
the real Makefile on a fresh clone's view: no virtualenv yet)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def dry_run(target: str, tmp_path: Path) -> str:
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    done = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'fresh-venv'}"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def installs(script: str) -> list[str]:
    return [line for line in script.splitlines() if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_the_package_without_test_tools(tmp_path) -> None:
    script = dry_run("run", tmp_path)
    assert installs(script) == [f"{tmp_path}/fresh-venv/bin/python -m pip install --quiet -e ."]
    assert "strideguard run" in script


@pytest.mark.parametrize("target", ["test", "test-fast", "audit", "bench"])
def test_the_test_targets_add_the_test_extras(tmp_path, target) -> None:
    found = installs(dry_run(target, tmp_path))
    assert found[0].endswith("pip install --quiet -e .")
    assert found[1].endswith("pip install --quiet -e '.[test]'")
