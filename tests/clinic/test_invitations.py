"""Invitation codes: single use, a 7-day life with an exact boundary, brute force throttled,
only a keyed hash stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from strideguard.accounts.models import User
from strideguard.clinic import codes, sharing
from strideguard.clinic.models import CareInvitation, CareLink
from strideguard.errors import NotFound
from strideguard.extensions import db
from tests.conftest import Runner, Therapist, close_app, invite, make_app
from tests.support.envelope import assert_error

pytestmark = pytest.mark.database  # its behaviour depends on the database: make test-fast runs its PostgreSQL variant too

ACCEPT = "/api/v1/clinic/invitations/accept"


def test_an_invitation_is_a_readable_code_and_a_link_valid_for_seven_days(app, runner):
    body = invite(runner)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", body["code"])
    assert body["url"].endswith(f"/#clinic/accept/{body['code']}")  # in the fragment: never logged
    from datetime import datetime

    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(days=7)
    [listed] = runner.get("/api/v1/me/invitations").get_json()
    assert listed == {"id": body["id"], "created_at": body["created_at"], "expires_at": body["expires_at"]}


def test_only_a_keyed_hash_of_the_code_is_stored(app, runner):
    code = invite(runner)["code"]
    canonical = code.replace("-", "")
    with app.app_context():
        stored = db.session.execute(select(CareInvitation)).scalar_one()
        assert stored.code_hash == codes.code_hash(canonical, app.config["SECRET_KEY"])
        assert stored.code_hash != codes.code_hash(canonical, "another-secret")
        # The code appears in no column of any table, in any spelling.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                flat = " ".join(str(value) for value in row)
                assert canonical not in flat and code not in flat, table.name
    assert code not in runner.get("/api/v1/me/invitations").get_data(as_text=True)
    assert code not in runner.get("/api/v1/export").get_data(as_text=True)


def test_accepting_links_the_therapist_and_the_code_is_single_use(app, runner):
    code = invite(runner)["code"]
    first, second = Therapist(app, display_name="Dana Reyes"), Therapist(app)
    response = first.accept(code)
    assert response.status_code == 200
    assert response.get_json() == {"patient": {"id": runner.user["id"], "name": runner.email, "email": runner.email}}
    assert_error(second.accept(code), 404, "not_found")
    assert_error(first.accept(code), 404, "not_found")  # not even twice by the same therapist
    [therapist] = runner.get("/api/v1/me/therapists").get_json()
    assert (therapist["id"], therapist["name"]) == (first.user["id"], "Dana Reyes")
    assert runner.get("/api/v1/me/invitations").get_json() == []  # used: no longer open
    assert [p["patient"]["id"] for p in first.get("/api/v1/clinic/patients").get_json()] == [runner.user["id"]]
    assert second.get("/api/v1/clinic/patients").get_json() == []


def test_typing_is_forgiving_but_a_wrong_code_is_not_found(app, runner):
    code = invite(runner)["code"]
    therapist = Therapist(app)
    for wrong in ("", "nonsense", code[:-1], code.replace(code[0], "U" if code[0] != "U" else "V")):
        response = therapist.accept(wrong)
        assert response.status_code in (404, 422), wrong
    typed = " " + code.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
    assert therapist.accept(typed).status_code == 200


def test_unknown_used_and_expired_codes_get_the_same_answer(app, runner):
    expired, used = invite(runner)["code"], invite(runner)["code"]
    Therapist(app).accept(used)
    with app.app_context():
        db.session.execute(text("UPDATE care_invitations SET expires_at = :past WHERE used_at IS NULL"),
                           {"past": "2020-01-01 00:00:00"})
        db.session.commit()
    therapist = Therapist(app)
    answers = [therapist.accept(c).get_json() for c in (expired, used, "AAAA-BBBB-CCCC")]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"]["code"] == "not_found"


def test_the_expiry_boundary_is_exact(app, runner):
    code = invite(runner)["code"]
    with app.app_context(), app.test_request_context():
        invitation = db.session.execute(select(CareInvitation)).scalar_one()
        expires = invitation.expires_at
        late = db.session.get(User, Therapist(app).user["id"])
        with pytest.raises(NotFound):
            sharing.accept(late, code, now=expires)  # at the instant it expires: too late
        on_time = db.session.get(User, Therapist(app).user["id"])
        patient = sharing.accept(on_time, code, now=expires - timedelta(microseconds=1))
        assert patient.id == runner.user["id"]


def test_only_runners_invite_and_only_therapists_accept(app, runner):
    therapist = Therapist(app)
    assert_error(therapist.post("/api/v1/me/invitations"), 403, "runners_only")
    code = invite(runner)["code"]
    assert_error(Runner(app).post(ACCEPT, json={"code": code}), 403, "therapists_only")
    assert therapist.accept(code).status_code == 200  # the code survived the refused attempt


def test_a_runner_holds_at_most_five_open_invitations_and_can_cancel_one(app, runner):
    made = [invite(runner)["id"] for _ in range(sharing.MAX_OPEN)]
    assert_error(runner.post("/api/v1/me/invitations"), 409, "conflict")
    assert runner.delete(f"/api/v1/me/invitations/{made[0]}").status_code == 204
    assert_error(runner.delete(f"/api/v1/me/invitations/{made[0]}"), 404, "not_found")
    assert runner.post("/api/v1/me/invitations").status_code == 201
    assert_error(Runner(app).delete(f"/api/v1/me/invitations/{made[1]}"), 404, "not_found")
    assert_error(runner.delete("/api/v1/me/invitations/99999999999"), 404, "not_found")


def test_a_cancelled_invitation_cannot_be_accepted(app, runner):
    body = invite(runner)
    runner.delete(f"/api/v1/me/invitations/{body['id']}")
    assert_error(Therapist(app).accept(body["code"]), 404, "not_found")


def test_accepting_again_after_a_revoke_gives_a_fresh_link(app, runner):
    therapist = Therapist(app)
    therapist.accept(invite(runner)["code"])
    runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}")
    assert therapist.accept(invite(runner)["code"]).status_code == 200
    with app.app_context():
        assert len(db.session.execute(select(CareLink.id)).scalars().all()) == 1


@pytest.fixture
def limited_app(migrated):
    app = make_app(migrated, RATELIMIT_ENABLED=True, ACCEPT_RATE_LIMIT="5 per minute",
                   LOGIN_RATE_LIMIT="1000 per minute", REGISTER_RATE_LIMIT="1000 per minute")
    from strideguard.extensions import limiter

    with app.app_context():
        limiter.reset()
    yield app
    close_app(app)


def _from(actor: Runner, address: str, code: str):
    return actor.client.post(ACCEPT, json={"code": code}, headers={"X-CSRF-Token": actor.csrf},
                             environ_base={"REMOTE_ADDR": address})


def test_guessing_codes_is_throttled_per_address(limited_app):
    runner = Runner(limited_app)
    code = invite(runner)["code"]
    guesser = Therapist(limited_app)
    statuses = [_from(guesser, "198.51.100.7", f"AAAA-BBBB-{n:04d}").status_code for n in range(5)]
    assert statuses == [404] * 5
    blocked = _from(guesser, "198.51.100.7", code)
    assert_error(blocked, 429, "rate_limited")
    assert blocked.headers.get("Retry-After")
    # Another therapist from another address is not affected, and the code is still valid.
    assert _from(Therapist(limited_app), "203.0.113.9", code).status_code == 200


def test_guessing_codes_is_throttled_per_account_across_addresses(limited_app):
    runner = Runner(limited_app)
    code = invite(runner)["code"]
    guesser = Therapist(limited_app)
    for n in range(5):
        assert _from(guesser, f"198.51.100.{n + 1}", f"AAAA-CCCC-{n:04d}").status_code == 404
    assert _from(guesser, "198.51.100.99", code).status_code == 429


def test_successful_accepts_do_not_count_against_the_limit(limited_app):
    runner = Runner(limited_app)
    therapist = Therapist(limited_app)
    for _ in range(6):
        assert _from(therapist, "198.51.100.7", invite(runner)["code"]).status_code == 200
        runner.delete(f"/api/v1/me/therapists/{therapist.user['id']}")


def test_two_therapists_racing_for_one_code_exactly_one_wins(app, runner):
    """The compare-and-set UPDATE: concurrent requests, one winner, on both databases."""
    import threading

    code = invite(runner)["code"]
    racers = [Therapist(app) for _ in range(4)]
    start = threading.Barrier(len(racers))
    statuses: list[int] = []

    def race(therapist: Therapist) -> None:
        start.wait()
        statuses.append(therapist.accept(code).status_code)

    threads = [threading.Thread(target=race, args=(t,)) for t in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 404, 404, 404]
    assert len(runner.get("/api/v1/me/therapists").get_json()) == 1
