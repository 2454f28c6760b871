"""An incomplete recording and the recordings' disk as people see them, in a real Chromium: the
auditor's recording page with the flag in red, the supervisors' page with the storage card.
Screenshots go to ``var/test-output/screenshots`` to be looked at."""
from __future__ import annotations

from pathlib import Path

import pytest

from ivr.core.recording_check import Measured, judge
from web.helpers import NOW
from web.live_server import CHROMIUM
from web.test_browser import browser, log_in, shot  # noqa: F401 - the desk's Chromium and helpers
from web.test_supervision_browser import page, world  # noqa: F401 - the seeded morning, live

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]


def test_a_flagged_recording_is_red_on_its_page_and_counted_for_supervisors(page, world):
    store = world["store"]
    ticket = world["made"]["recorded"][0]
    store.finish_recording(ticket.linkedid, judge(Measured(36_844, 2.3, "wav"), 6), path=ticket.recording_path,
                           at=NOW, sha256=ticket.recording_sha256)
    log_in(page, "chen")
    page.wait_for_url("**/recordings")
    page.goto(f"/recordings/{ticket.number}")
    flag = page.locator("#recording-flag")
    assert flag.inner_text() == "录音不完整：录音 2.3 秒 / 通话 6.0 秒"
    assert "alert" in flag.get_attribute("class")
    shot(page, "30-recording-flagged")
    page.context.clear_cookies()
    log_in(page, "wang")
    page.goto("/supervision")
    card = page.locator("#recordings-storage")
    assert "录音存储" in card.inner_text() and "剩余空间" in card.inner_text()
    assert page.locator("#flagged-count").inner_text() == "录音不完整的工单：1 个（下列最近的 1 个）"
    shot(page, "31-supervision-recordings-storage")
