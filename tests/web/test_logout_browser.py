"""After logging out, the browser's Back must not show the desk again: the pages are not stored
(``Cache-Control: no-store``) and the session is over on the server, so Back asks the server,
which sends the browser to the login page. In the real Chromium."""
from __future__ import annotations

import pytest

from web.live_server import CHROMIUM
from web.test_browser import browser, log_in, page, take_call, world  # noqa: F401 - the same fixtures

pytestmark = [pytest.mark.browser]


def test_back_after_logout_shows_the_login_page_not_the_desk(page, world):
    caller = "13905130099"
    number = take_call(world, caller=caller)
    log_in(page, "li")
    page.wait_for_url("**/desk")
    page.goto(f"/desk/{number}")
    assert caller in page.content()
    page.click("form.logout button[type=submit]")
    page.wait_for_url("**/login*")
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert caller not in page.content()
