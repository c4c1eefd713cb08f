"""The invitation link the PWA copies is on the address the runner opened the app at: the
server gives a relative link unless STRIDEGUARD_PUBLIC_URL is set (never one from the Host
header), and the page completes it with its own origin (issue 25, item 10)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import sign_up

pytestmark = pytest.mark.browser


def test_copy_link_gives_an_absolute_link_on_this_origin(page: Any, context: Any, live_server: Any) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.base_url)
    sign_up(page)
    page.get_by_role("navigation", name="Screens").get_by_role("link", name="Therapist").click()
    sharing = page.get_by_role("region", name="Share with my therapist")
    sharing.get_by_role("button", name="Share with my therapist").click()
    code = sharing.locator(".code").inner_text()
    sharing.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.base_url}/#clinic/accept/{code}"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/#clinic/accept/[0-9A-Z-]{14}", copied)
