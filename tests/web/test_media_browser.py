"""Each call's media as people see it, in a real Chromium: the wallboard's mark on an agent phone
whose calls lost packets (fetched by the page itself), the silent side in red on the recording's
page. Screenshots go to ``var/test-output/screenshots``."""
from __future__ import annotations

from pathlib import Path

import pytest

from web.live_server import CHROMIUM
from web.test_browser import browser, log_in, shot  # noqa: F401 - the desk's Chromium and helpers
from web.test_media_pages import check
from web.test_supervision_browser import page, world  # noqa: F401 - the seeded morning, live

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]


def test_the_wallboard_marks_a_lossy_agent_phone_and_the_recording_page_a_silent_side(page, world):
    store = world["store"]
    lossy, silent = world["made"]["recorded"]
    check(store, lossy, agent="agent2", lost=100)
    check(store, silent, agent="agent1", silent=("caller",))
    log_in(page, "wang")
    page.wait_for_url("**/wallboard")
    mark = page.locator('#media-marks li[data-name="agent2"]')
    mark.wait_for(timeout=10_000)
    assert mark.inner_text() == "坐席 agent2：最近 1 通平均 MOS 3.40，0 通单向无声"
    assert page.locator('#media-marks li[data-name="agent1"]').inner_text().endswith("1 通单向无声")
    shot(page, "40-wallboard-media-marks")
    page.context.clear_cookies()
    log_in(page, "chen")
    page.wait_for_url("**/recordings")
    page.goto(f"/recordings/{silent.number}")
    flag = page.locator("#media-flag")
    assert flag.locator("b").inner_text() == "市民侧无声音" and "alert" in flag.get_attribute("class")
    shot(page, "41-recording-caller-silent")
