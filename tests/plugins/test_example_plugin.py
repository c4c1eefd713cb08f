"""The third-party path: pip-install plugins/example-plugin and find it through its entry point.

The plugin is installed with pip for real, into a target directory of its own rather than the
shared venv, and checked in a fresh interpreter with that directory on its path. That is the
same discovery (``importlib.metadata`` over ``sys.path``) as site-packages, without changing
what every other test — possibly running in parallel — sees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.process  # pip installs the example plugin, a Python process reads it

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "plugins" / "example-plugin"

CHECK = textwrap.dedent(
    """
    import json
    from datetime import date
    from importlib import metadata
    from strideguard.guidance.builder import day_snapshot
    from strideguard.guidance.engine import assess_day
    from strideguard.guidance.host import create_host
    from strideguard.guidance.snapshot import CheckinSnap, RunnerSettings

    host = create_host()
    day = date(2025, 3, 12)
    behind = day_snapshot(day, checkin=CheckinSnap(date=day, pain=3, location="back_of_knee"))
    elsewhere = day_snapshot(day, checkin=CheckinSnap(date=day, pain=3, location="outside"))
    print(json.dumps({
        "dist": metadata.version("strideguard-example-plugin"),
        "report": host.plugins_report(),
        "ranked": [c["id"] for c in host.conditions("back_of_knee")],
        "questions": host.checkin_questions(["back_of_knee"]),
        "behind": assess_day(behind, host).to_dict(),
        "elsewhere": [a["id"] for a in assess_day(elsewhere, host).to_dict()["advice"]],
        "exercises": [e.to_dict() for e in host.exercises()],
        "starter_sets": [s.to_dict() for s in host.starter_sets(["back_of_knee", "runners_knee"])],
        "failures": host.failures_seen,
    }))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    target = tmp_path_factory.mktemp("example-site")
    source = tmp_path_factory.mktemp("example-src") / "example-plugin"
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), str(source)],
        check=True,
        timeout=300,
        cwd=target,
    )
    env = dict(os.environ)
    paths = [str(target), str(ROOT / "server"), str(ROOT / "plugins")]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", CHECK], check=True, capture_output=True, text=True, env=env,
        timeout=120, cwd=target,
    )
    return json.loads(out.stdout)


def test_example_plugin_is_discovered_through_its_entry_point(installed: dict) -> None:
    assert installed["dist"] == "0.1.0"
    report = {p["name"]: p for p in installed["report"]}
    assert report["back_of_knee"] == {
        "name": "back_of_knee", "version": "0.1.0", "api_version": 1, "status": "active",
        "conditions": ["back_of_knee"], "last_error": None,
    }


def test_example_plugin_adds_its_condition_question_and_advice(installed: dict) -> None:
    assert installed["ranked"][0] == "back_of_knee"
    assert [q["id"] for q in installed["questions"]] == ["back_of_knee.bending_pain"]
    behind = installed["behind"]
    advice = {a["id"]: a for a in behind["advice"]}
    assert advice["back_of_knee.see_pt"]["source"] == {"plugin": "back_of_knee", "version": "0.1.0", "kind": "plugin"}
    assert advice["back_of_knee.see_pt"]["action"] == "contact_pt"
    assert behind["status"] == "caution"
    assert {"name": "back_of_knee", "status": "active"} in behind["plugins"]
    assert "back_of_knee.see_pt" not in installed["elsewhere"]


def test_example_plugin_adds_an_exercise_and_a_starter_set(installed: dict) -> None:
    exercises = {e["id"]: e for e in installed["exercises"]}
    mine = exercises["back_of_knee.seated_hamstring_curl"]
    assert mine["source"] == "back_of_knee"
    assert (mine["dose"], mine["sets"], mine["reps"], mine["seconds"]) == ("reps", 3, 12, None)
    assert mine["trains"] == ["hamstrings"] and mine["equipment"] == ["band", "chair"]
    sets = {(s["condition"], s["source"]): s for s in installed["starter_sets"]}
    assert set(sets) == {("back_of_knee", "back_of_knee"), ("runners_knee", "runners_knee")}
    items = sets[("back_of_knee", "back_of_knee")]["items"]
    assert items[0] == {"exercise": "back_of_knee.seated_hamstring_curl", "sets": 3, "reps": 12,
                        "seconds": None}  # the plugin left the dose out: the exercise's default
    assert [i["exercise"] for i in items[1:]] == ["core.calf_raise", "core.glute_bridge"]
    assert installed["failures"] == 0
