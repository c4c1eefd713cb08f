"""Invitation links come from the configured public address only, never from the request's
``Host`` header (issue 25, item 10)."""

from __future__ import annotations

import pytest

from tests.conftest import Runner
from tests.security.backends import SQLITE_ONLY

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def create(runner: Runner) -> dict:
    cookie = runner.client.get_cookie("sg_session")  # the jar would not send it to another host
    bare = runner.client.application.test_client(use_cookies=False)
    response = bare.post("/api/v1/me/invitations", headers={
        **FORGED, "Cookie": f"sg_session={cookie.value}", "X-CSRF-Token": runner.csrf})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@SQLITE_ONLY
def test_without_a_public_url_the_link_is_relative_to_the_app(app) -> None:
    body = create(Runner(app))
    assert body["url"] == f"/#clinic/accept/{body['code']}"


@SQLITE_ONLY
@pytest.mark.parametrize("app", [{"PUBLIC_URL": "https://run.example.org/"}], indirect=True)
def test_with_a_public_url_the_link_is_absolute_there(app) -> None:
    body = create(Runner(app))
    assert body["url"] == f"https://run.example.org/#clinic/accept/{body['code']}"


@pytest.mark.parametrize("url", ["run.example.org", "javascript:alert(1)", "https://run.example.org/?x=1",
                                 "ftp://run.example.org", "https://"])
def test_a_public_url_that_is_not_an_address_is_refused_at_start(url) -> None:
    from strideguard.config import build_config

    with pytest.raises(ValueError, match="STRIDEGUARD_PUBLIC_URL"):
        build_config({"INSTANCE_PATH": "/tmp/sg-public-url", "PUBLIC_URL": url})
