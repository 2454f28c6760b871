"""The admin's page of routing rules in a real browser (Debian's Chromium through Playwright):
the console in uvicorn, following the rules file as a part, over a real SQLite database; the
prompts made on this machine and checked against this machine's Asterisk. Screenshots go under
``var/test-output/screenshots`` (IVR_SCREENSHOTS overrides) to be looked at."""
from __future__ import annotations

import pytest
import structlog

from ivr import data_folder
from ivr.agi.call_log import CallLog
from ivr.asterisk.layout import Layout
from ivr.core.routing import Call, decide
from ivr.prompts import build
from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.rules_versions import RulesVersions
from ivr.store.users import UserStore
from support import RULES_FILE, asterisk_recorded, at, wait_until
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import live_console
from web.test_browser import browser, log_in, page, shot  # noqa: F401 - the same browser and page fixtures

pytestmark = pytest.mark.browser

FORWARD_401 = ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
               '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}''')
COUNTY_DAY = ("  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}",
              "  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}\n"
              "  - {name: County Day, from: 2020-06-16}")


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("admin-console")
    rules = base / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var"), "IVR_RULES": str(rules)})
    build(Layout.from_settings(settings), shipped_rules, by="test")   # the stand-ins, as `ivr asterisk up` does
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    UserStore(store.engine, FAST).add("zhou", "admin", PASSWORD, NOW)
    log = CallLog(data_folder.call_log(settings.data_dir)).start()   # calls the engine routed last week
    called = [("0513-80000401", "2020-05-25 10:00"), ("80000401", "2020-05-26 15:30"),
              ("0513-80000401", "2020-05-26 19:00"), ("12345", "2020-05-27 09:00"), ("0513-80000402", "2020-05-28 11:00")]
    for n, (line, when) in enumerate(called):
        log.record(at(when), line, f"1391111{n:04d}", f"ivr12345-{n}", shipped_rules.sha256,
                   decide(Call(line), shipped_rules, at(when)))
    assert wait_until(lambda: log.written == 5)
    log.stop()
    asterisk_recorded(settings.data_dir, *((f"ivr12345-{n}", line, f"1391111{n:04d}") for n, (line, _) in enumerate(called)))
    with live_console(settings, store, shipped_rules, lambda: NOW) as server:
        yield {"store": store, "server": server, "rules": rules}
    store.close()
    structlog.reset_defaults()


def check(page, text: str) -> None:
    page.goto("/admin/rules")
    page.fill("textarea[name=text]", text)
    page.get_by_role("button", name="检查", exact=True).click()
    page.wait_for_url("**/admin/rules/candidate/*")


def test_an_admin_checks_previews_applies_and_rolls_back(page, world):
    rules = world["rules"]
    shipped = rules.read_text(encoding="utf-8")
    log_in(page, "zhou")
    page.goto("/admin/rules")
    assert page.locator("h1").inner_text() == "路由规则管理"
    assert "工作台" in page.locator("table.parts").inner_text()         # the console follows the file too
    shot(page, "11-rules-overview")

    check(page, shipped.replace("queue: seat_water, overflow_queue", "queue: seat_wter, overflow_queue"))
    assert "发现 1 处问题" in page.locator(".alert").inner_text()
    bad = page.locator("ol.code-view li.bad")
    assert bad.count() == 1 and "unknown queue 'seat_wter'" in bad.inner_text()
    bad.scroll_into_view_if_needed()
    shot(page, "12-rules-problem-at-its-line")

    check(page, shipped.replace(*FORWARD_401).replace(*COUNTY_DAY))
    assert "检查通过：31 条线路" in page.locator(".flash").inner_text()
    assert "提示音已对照本机 Asterisk 逐一核对" in page.locator(".flash").inner_text()
    changes = page.locator("table.changes").inner_text()
    assert "线路变更" in changes and "新增节假日" in changes and "County Day" in changes
    page.select_option("#days", "30")
    page.get_by_role("button", name="预估").click()
    page.wait_for_selector("table.preview")
    assert "最近 30 天共 5 通来电，新规则下 2 通会改变去向" in page.locator(".info").first.inner_text()
    moved = page.locator("table.calls").inner_text()
    assert "13911110000" in moved and "13911110001" in moved and "13911110002" not in moved
    assert "County Day" in page.locator("ul.events").inner_text()
    shot(page, "13-rules-diff-and-preview")

    page.fill("#message", "司法局热线改由12345接听；增设县庆假日")
    page.get_by_role("button", name="发布到所有部件").click()
    page.wait_for_selector(".flash")
    assert "已发布：版本 2 已在所有部件生效。" in page.locator(".flash").inner_text()
    parts = page.locator("table.parts").inner_text()
    assert "工作台" in parts and "已跟上" in parts
    shot(page, "14-rules-applied")
    assert "forward" in rules.read_text(encoding="utf-8").split("0513-80000401", 1)[1][:80]

    page.goto("/admin/rules")
    row = page.locator("table.history tr", has_text="edited on disk")
    row.locator("input[name=message]").fill("县庆假日待确认，先回滚")
    row.get_by_role("button", name="回滚到此版本").click()
    page.wait_for_selector(".flash")
    assert "已发布：版本 3" in page.locator(".flash").inner_text()
    assert rules.read_text(encoding="utf-8") == shipped
    page.goto("/admin/rules")
    audit = page.locator("table.audit").inner_text()
    for step in ("回滚", "发布", "影响预估", "在线编辑"):
        assert step in audit
    shot(page, "15-rules-history-and-audit")
    trail = RulesVersions(world["store"].engine).trail()
    assert {e.actor for e in trail} <= {"zhou", "edited on disk"}
