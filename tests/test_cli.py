"""The command line: demo data, plugin listing, VAPID key handling (through Flask's CLI runner)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from strideguard.extensions import db
from strideguard.training.models import Checkin, Run


def test_demo_creates_a_runner_with_six_weeks_that_signs_in_and_gets_guidance(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo@strideguard.local" in result.output
    with app.app_context():
        # Daily from the Monday five weeks before the flare's week through today: 38-44 days.
        assert 38 <= db.session.execute(select(func.count()).select_from(Checkin)).scalar() <= 44
        assert 18 <= db.session.execute(select(func.count()).select_from(Run)).scalar() <= 26
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": "demo@strideguard.local", "password": "demo-runner-2026"})
    assert login.status_code == 200
    guidance = client.get("/api/v1/guidance").get_json()
    assert guidance["status"] == "caution"
    assert [a["id"] for a in guidance["advice"]][0] == "core.return_session"
    plan = client.get("/api/v1/plan").get_json()
    assert plan["state"] == "return" and plan["today"]["session"]["phase"] == 1
    kinds = [(e["from"], e["to"], e["kind"]) for e in plan["history"]]
    assert ("normal", "normal", "over_cap") in kinds
    assert kinds[-2:] == [("normal", "rest", "rest_started"), ("rest", "return", "return_started")]
    assert plan["week"]["baseline"]["distance_m"] > 15_000  # the last clean week, not the jump


def test_demo_twice_replaces_the_demo_runner(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        once = db.session.execute(select(func.count()).select_from(Checkin)).scalar()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Checkin)).scalar() == once
    assert 38 <= once <= 44


def test_plugins_list_reports_the_five_built_in_conditions(app):
    result = app.test_cli_runner().invoke(args=["plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    report = {item["name"]: item for item in json.loads(result.output)}
    for name in ("runners_knee", "it_band", "patellar_tendinopathy", "meniscus_tear", "bursitis"):
        assert report[name]["status"] == "active"
        assert report[name]["api_version"] == 1


def test_vapid_generate_refuses_to_replace_a_key_without_force(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["vapid", "public-key"])  # creates the key on first use
    assert first.exit_code == 0
    again = runner.invoke(args=["vapid", "generate"])
    assert again.exit_code != 0 and "--force" in again.output
    assert runner.invoke(args=["vapid", "public-key"]).output == first.output


def test_demo_makes_a_therapist_who_sees_the_demo_runner(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # twice: replaced, not doubled
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": "therapist@strideguard.local",
                                                    "password": "demo-therapist-2026"})
    assert login.status_code == 200 and login.get_json()["user"]["role"] == "therapist"
    [row] = client.get("/api/v1/clinic/patients").get_json()
    assert row["patient"]["email"] == "demo@strideguard.local"
    assert row["plan"]["state"] in ("rest", "return", "normal")


def test_therapist_add_makes_a_therapist_account_and_list_shows_it(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["therapist", "add", "dana@clinic.example", "--name", "Dana Reyes, PT"],
                           input="a-long-clinic-pass\na-long-clinic-pass\n")
    assert result.exit_code == 0, result.output
    assert "therapist account dana@clinic.example" in result.output
    login = app.test_client().post("/api/v1/auth/login", json={"email": "dana@clinic.example",
                                                               "password": "a-long-clinic-pass"})
    assert login.get_json()["user"] == {**login.get_json()["user"], "role": "therapist", "display_name": "Dana Reyes, PT"}
    listed = runner.invoke(args=["therapist", "list"])
    assert "dana@clinic.example" in listed.output and "0 patients" in listed.output
    again = runner.invoke(args=["therapist", "add", "dana@clinic.example"], input="a-long-clinic-pass\na-long-clinic-pass\n")
    assert again.exit_code != 0 and "already" in again.output.lower()
    weak = runner.invoke(args=["therapist", "add", "weak@clinic.example"], input="short\nshort\n")
    assert weak.exit_code != 0


def test_serve_and_run_do_not_build_the_app_they_hand_over(app, monkeypatch):
    """``strideguard serve`` replaces itself with gunicorn, which builds the app (once, with
    ``--preload``); ``run`` builds it where it needs it. Finding either command must not
    build one first, as Flask does to look up an app's own commands (~1 s of CPU per start)."""
    from click.testing import CliRunner

    from strideguard import cli

    built = []
    monkeypatch.setattr(cli.main, "create_app", lambda: built.append(1) or app)
    runner = CliRunner()
    for command in ("serve", "run", "backup", "restore"):
        done = runner.invoke(cli.main, [command, "--help"])
        assert done.exit_code == 0, done.output
        assert "Usage:" in done.output
    assert built == []
    done = runner.invoke(cli.main, ["reminders", "--help"])  # an app command: the app is built
    assert done.exit_code == 0, done.output
    assert built == [1]
