"""The holiday calendar's warning in a real browser (Debian's Chromium through Playwright): on the
admin's rules page, with this year and the next marked confirmed or provisional, and on the
supervisors' wallboard, the console's clock 28 days before a year the rules do not confirm.
Screenshots go under ``var/test-output/screenshots`` to be looked at."""
from __future__ import annotations

import pytest
import structlog

from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.users import UserStore
from support import RULES_FILE, at
from web.helpers import FAST, PASSWORD
from web.live_server import live_console
from web.test_browser import browser, log_in, page, shot  # noqa: F401 - the same browser and page fixtures

pytestmark = pytest.mark.browser
NOW = at("2026-12-04 10:00")


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("calendar-console")
    rules = base / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var"), "IVR_RULES": str(rules)})
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    users = UserStore(store.engine, FAST)
    users.add("zhou", "admin", PASSWORD, NOW)
    users.add("wang", "supervisor", PASSWORD, NOW)
    with live_console(settings, store, shipped_rules, lambda: NOW) as server:
        yield {"store": store, "server": server}
    store.close()
    structlog.reset_defaults()


def test_the_admin_sees_the_warning_and_the_provisional_year(page, world):
    log_in(page, "zhou")
    page.goto("/admin/rules")
    warning = page.locator("#calendar-warning")
    assert warning.is_visible()
    assert "2027年的放假安排尚未录入路由规则（还剩 28 天）" in warning.inner_text()
    assert "已确认" in page.inner_text("#calendar-2026")
    assert "暂定" in page.inner_text("#calendar-2027")
    assert page.locator("#calendar li.provisional").count() == 7
    page.locator("#calendar").scroll_into_view_if_needed()
    shot(page, "40-admin-rules-calendar")


def test_the_wallboard_shows_the_warning(page, world):
    log_in(page, "wang")
    page.wait_for_url("**/wallboard")
    warning = page.locator("#calendar-warning")
    assert warning.is_visible() and "2027年的放假安排尚未录入路由规则" in warning.inner_text()
    shot(page, "41-wallboard-calendar-warning")
