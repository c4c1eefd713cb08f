"""Profile input a runner or therapist shows others (issue 25, item 10): display names
without control or bidi characters, and time zones that are real IANA regions."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from strideguard import create_app
from strideguard.accounts.text import clean_display_name
from strideguard.extensions import db
from strideguard.timeutil import is_valid_timezone
from tests.conftest import Runner, Therapist, app_config, invite
from tests.security.backends import SQLITE_ONLY

RLO = "\u202e"


@pytest.mark.parametrize(
    "typed,stored",
    [
        (f"Dana {RLO}syeR", "Dana syeR"),  # the override is gone: the name reads as typed
        ("\u2067Dana\u2069 \u200eReyes\u200f", "Dana Reyes"),  # isolates and marks
        ("Dana\r\n12:00 admin logged in", "Dana 12:00 admin logged in"),  # no forged line
        ("\x1b[31mDana\x1b[0m", "[31mDana[0m"),  # no terminal escape
        ("Da\u200bna\ufeff \u00adReyes", "Dana Reyes"),  # invisible format characters
        ("  Dana \t Reyes  ", "Dana Reyes"),
        ("دانا رييس", "دانا رييس"),  # right-to-left script itself is fine
        ("می\u200cخواهم", "می\u200cخواهم"),  # zero-width non-joiner (Persian) is kept
        ("👩\u200d⚕️ Dana", "👩\u200d⚕️ Dana"),  # emoji sequences keep their joiner
    ],
)
def test_clean_display_name(typed, stored) -> None:
    assert clean_display_name(typed) == stored


@SQLITE_ONLY
def test_names_reach_the_other_side_cleaned(app) -> None:
    runner = Runner(app, display_name=f"Sam {RLO}nalE")
    assert runner.user["display_name"] == "Sam nalE"
    therapist = Therapist(app, display_name=f"\u202bDana\u202c Reyes, PT{RLO}")
    assert therapist.user["display_name"] == "Dana Reyes, PT"
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    patients = therapist.get("/api/v1/clinic/patients").get_json()
    assert RLO not in str(patients) and "Sam nalE" in str(patients)
    shared = runner.get("/api/v1/me/therapists").get_json()
    assert "\u202b" not in str(shared) and "Dana Reyes, PT" in str(shared)

    patched = runner.patch("/api/v1/me", json={"display_name": "Sam\u2066 Elan\u2069\n",
                                               "therapist": {"name": f"Dr{RLO} Who"}})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["display_name"] == "Sam Elan"
    assert patched.get_json()["therapist"]["name"] == "Dr Who"


@SQLITE_ONLY
@pytest.mark.parametrize("name", [RLO, "\u200e\u200f", "\x07\x1b", " \t\n"])
def test_a_name_of_nothing_visible_is_refused(app, runner, name) -> None:
    response = runner.patch("/api/v1/me", json={"display_name": name})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["display_name"] == ["Use 1 to 100 visible characters."]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_app(request, tmp_path):
    from tests.support.postgres import throwaway_database

    if request.param == "sqlite":
        yield create_app(app_config(tmp_path, f"sqlite:///{tmp_path / 'names.sqlite3'}"))
        return
    with throwaway_database("sg_names") as url:
        app = create_app(app_config(tmp_path, url))
        yield app
        with app.app_context():
            db.engine.dispose()


def test_the_migration_cleans_names_stored_before(empty_app) -> None:
    from strideguard.accounts.service import create_account

    with empty_app.app_context():
        upgrade()
        ids = [create_account(f"n{i}@example.org", "knee-safe-42x").id for i in range(3)]
        db.session.commit()
        for uid, raw in zip(ids, [f"Sam {RLO}nalE", RLO, "Plain Name"]):
            db.session.execute(text("UPDATE users SET display_name = :n WHERE id = :i"), {"n": raw, "i": uid})
        db.session.commit()
        downgrade(revision="0009")
        upgrade()
        names = dict(db.session.execute(text("SELECT id, display_name FROM users")).all())
        assert [names[uid] for uid in ids] == ["Sam nalE", None, "Plain Name"]


# -- time zones ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["localtime", "Factory", "EST5EDT", "posixrules", "Etc/GMT+5", "GMT",
                                  "US/Eastern", "right/Europe/Berlin", "Europe/Atlantis", "", "europe/berlin"])
def test_not_a_region(name) -> None:
    assert not is_valid_timezone(name)


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "Europe/Berlin", "America/Argentina/Salta",
                                  "Asia/Kolkata", "Asia/Calcutta", "Pacific/Chatham", "Antarctica/Troll"])
def test_regions_and_utc(name) -> None:
    assert is_valid_timezone(name)


@SQLITE_ONLY
@pytest.mark.parametrize("zone", ["localtime", "Factory", "EST5EDT"])
def test_the_api_refuses_what_is_not_a_region(app, runner, zone) -> None:
    response = runner.patch("/api/v1/me", json={"timezone": zone})
    assert response.status_code == 422
    assert "region name" in response.get_json()["error"]["fields"]["timezone"][0]
    signup = app.test_client().post("/api/v1/auth/register",
                                    json={"email": "zone@example.org", "password": "knee-safe-42x", "timezone": zone})
    assert signup.status_code == 422
    assert runner.patch("/api/v1/me", json={"timezone": "Europe/Berlin"}).status_code == 200
