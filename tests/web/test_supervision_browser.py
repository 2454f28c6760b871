"""The supervisors' and auditors' pages in a real Chromium, on a seeded morning (real SQLite, real
WAV files and manifest): the wallboard taking a live board over server-sent events, supervision
steps recorded with the supervisor as actor, an auditor finding, playing and downloading a
recording (the access log has each), an altered recording shown as altered.

Screenshots go to ``var/test-output/screenshots`` (IVR_SCREENSHOTS) to be looked at.
"""
from __future__ import annotations

import re

from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from ivr.core import presence as p
from ivr.core import wallboard
from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.users import UserStore
from ivr.web import LiveEvent
from ivr.web.wallboard import render_live
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import CHROMIUM, live_console
from web.test_browser import browser, log_in, shot  # noqa: F401 - the desk's Chromium and helpers
from web.supervision_seed import morning

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("supervision")
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    users = UserStore(store.engine, FAST)
    users.add("wang", "supervisor", PASSWORD, NOW)
    users.add("chen", "auditor", PASSWORD, NOW)
    users.add("li", "agent", PASSWORD, NOW, phone="agent1", agents=set(shipped_rules.agents))
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var"), "IVR_RECORDINGS_DIR": str(base / "rec"),
                                  "IVR_RECORDINGS_KEEP_DAYS": "180"})
    made = morning(store, settings.recordings_dir)
    with live_console(settings, store, shipped_rules, lambda: NOW) as server:
        yield {"store": store, "server": server, "made": made, "settings": settings, "rules": shipped_rules}
    store.close()
    structlog.reset_defaults()


@pytest.fixture
def page(browser, world):
    context = browser.new_context(base_url=world["server"].url, viewport={"width": 1600, "height": 1000},
                                  locale="zh-CN", accept_downloads=True)
    made = context.new_page()
    made.set_default_timeout(8000)
    yield made
    context.close()


def wait_js(page, expression: str, timeout: float = 10.0) -> None:
    """Poll ``expression`` in the page until it is true (the page's CSP forbids Playwright's
    eval-based wait_for_function from polling a string)."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def busy_morning(rules) -> tuple[p.Presence, wallboard.WaitingHistory]:
    """Agents as Asterisk would report them at 10:30: talking, ready, paused, in wrap-up, away."""
    presence = p.Presence(tuple(rules.agents), {q.id: q.wrapup_time for q in rules.queues.values()})
    start = NOW - timedelta(minutes=20)
    for agent in rules.agents.values():
        if agent.id != "agent7":
            for queue in agent.queues:
                presence.apply(p.Member(agent.id, queue), start)
    call = p.Call("1591000000.9", "q12345", "13905130077", "051380000102", "transport", "forward")
    presence.apply(p.Connected("agent1", call), NOW - timedelta(minutes=3, seconds=12))
    presence.apply(p.Connected("agent8", p.Call("1591000000.8", "seat_water", "", "051380000401", "water",
                                                "dedicated")), NOW - timedelta(seconds=50))
    presence.apply(p.Member("agent3", "q12345", paused=True, reason="break"), NOW - timedelta(minutes=7))
    presence.apply(p.Member("agent6", "seat_hrss", paused=True, reason="training"), NOW - timedelta(minutes=42))
    history = wallboard.WaitingHistory()
    for minutes, count in ((58, 0), (40, 1), (38, 3), (33, 2), (20, 0), (6, 1), (2, 2)):
        history.add(NOW - timedelta(minutes=minutes), count)
    for index, waited in enumerate((48, 21)):
        presence.apply(p.CallerJoined("q12345", f"1591000001.{index}"), NOW - timedelta(seconds=waited))
    return presence, history


def publish_board(world) -> None:
    store, rules = world["store"], world["rules"]
    presence, history = busy_morning(rules)
    day = wallboard.day_start(NOW)
    board = wallboard.build(list(rules.queues), presence.agents(NOW),
                            {q: presence.waiting(q, NOW) for q in rules.queues},
                            store.calls_between(day, day + timedelta(days=1)), history, NOW)
    world["server"].hub.publish("wallboard", LiveEvent("wallboard", {"board": board,
                                                                     "html": render_live(board, True, rules)}))


def test_the_wallboard_shows_the_live_board_it_is_sent(page, world):
    log_in(page, "wang")
    page.wait_for_url("**/wallboard")
    assert "未连接到话务系统" in page.inner_text("#board")      # this console has no AMI feed
    wait_js(page, "window.htmx !== undefined")
    page.wait_for_timeout(300)                                  # the event stream is open
    publish_board(world)
    page.wait_for_selector("#agent-agent3.st-paused")
    assert "休息" in page.inner_text("#agent-agent3")
    assert "培训" in page.inner_text("#agent-agent6")
    assert "通话中" in page.inner_text("#agent-agent1") and "3分12秒" in page.inner_text("#agent-agent1")
    assert "1号坐席" in page.inner_text("#agent-agent1") and "agent1" not in page.inner_text("#agents")
    assert page.inner_text("#queue-q12345 td.big") == "2"
    assert "48秒" in page.inner_text("#tile-waiting")
    shot(page, "20-wallboard")
    page.click("text=本周")
    page.wait_for_selector(".kpi-sum.chosen h3:has-text('本周')")
    shot(page, "21-wallboard-week")


def test_offered_today_has_one_value_on_the_wallboard(page, world):
    """The live board and the KPI panel both show 来电 today: a new call changes both at once."""
    from web.supervision_seed import abandon

    log_in(page, "wang")
    page.wait_for_url("**/wallboard")
    wait_js(page, "window.htmx !== undefined")
    page.wait_for_timeout(300)                                  # the event stream is open
    publish_board(world)
    page.wait_for_selector("#agent-agent3.st-paused")

    def both() -> tuple[str, str]:
        tile = page.inner_text("#offered-today").split()[-1]
        panel = page.locator(".kpi-sum", has_text="今日").locator("dt:has-text('来电') + dd").inner_text()
        return tile, re.match(r"\s*(\d+)", panel).group(1)

    before = both()
    abandon(world["store"], NOW - timedelta(minutes=1))
    page.wait_for_timeout(2100)                                 # past the reports' sharing window
    with page.expect_response(lambda r: "/wallboard/kpi" in r.url, timeout=1500):
        publish_board(world)
    page.wait_for_timeout(100)
    tile, panel = both()
    assert int(tile) == int(before[0]) + 1 and panel == tile, (before, tile, panel)


def take_step(page, number: str, button: str, note: str, unit: str | None = None, shot_as: str = "") -> None:
    """Open the order's 处理 box on the supervision page, write the note, press ``button``."""
    row = page.locator(f"#o-{number}")
    row.locator("summary").click()
    row.locator("textarea").fill(note)
    if unit:
        row.locator("select[name=unit]").select_option(unit)
    if shot_as:
        shot(page, shot_as)
    row.locator(f"button[value={button}]").click()
    page.wait_for_selector(".flash")


def test_supervision_steps_are_recorded_with_the_supervisor(page, world):
    store, made = world["store"], world["made"]
    log_in(page, "wang")
    page.goto("/supervision")
    shot(page, "22-supervision")
    overdue = made["overdue"][1]
    take_step(page, overdue, "redispatch", "路灯所未签收，改派城管局", unit="urban_management",
              shot_as="22b-supervision-redispatch-form")
    order = store.get(overdue).order
    assert (order.history[-1].event, order.history[-1].actor, order.unit) == ("redispatch", "wang", "urban_management")
    replied = made["replied"][0]
    take_step(page, replied, "review_fail", "处罚结果未告知市民，退回")
    assert f"审核不通过：工单 {replied} 已退回" in page.inner_text(".flash")  # not the words of a pass
    order = store.get(replied).order
    assert (order.status.value, order.supervised, order.history[-1].actor) == ("dispatched", True, "wang")
    low = made["low_rated"][0]
    take_step(page, low, "callback", "已致电市民，解释线路调整原因，市民表示理解")
    assert store.get(low).order.history[-1].event == "callback"
    assert "已回访" in page.inner_text(f"#o-{low}")
    shot(page, "23-supervision-after")


def test_an_auditor_finds_plays_and_downloads_and_each_is_logged(page, world):
    ticket = world["made"]["recorded"][0]
    log_in(page, "chen")
    page.wait_for_url("**/recordings")
    page.fill("#f-number", ticket.number)
    page.click("button.primary:has-text('查询')")
    page.wait_for_selector("#results")
    page.click(f"#results a:has-text('{ticket.number}')")
    page.wait_for_selector("#verdict")
    assert "与登记一致" in page.inner_text("#verdict")
    assert page.inner_text("#manifest-hash") == ticket.recording_sha256
    page.evaluate("document.querySelector('#player').play()")
    wait_js(page, "document.querySelector('#player').currentTime > 0.5")
    page.evaluate("document.querySelector('#player').currentTime = 7")   # a seek: a range request
    wait_js(page, "document.querySelector('#player').currentTime > 7.3")
    with page.expect_response(lambda r: r.url.endswith("/seek")):
        page.evaluate("document.querySelector('#player').currentTime = 1")  # buffered: no range request
    shot(page, "24-recording")
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == f"{ticket.number}.wav"
    for name, mark in (("greeting", "5"), ("attitude", "4"), ("listening", "4"), ("accuracy", "5"),
                       ("dispatch", "3"), ("efficiency", "4"), ("privacy", "5")):
        page.select_option(f"select[name=m_{name}]", mark)
    page.fill("#comment", "答复准确；转办判断稍慢，应先查询知识库。")
    page.click("button:has-text('保存评分')")
    page.wait_for_selector(".flash")
    assert "84 分" in page.inner_text(".flash")      # 10 + 12 + 12 + 25 + 12 + 8 + 5
    page.fill("#reason", "市民投诉处理不当，纪检调查 2020-017 号")
    page.click("button:has-text('设置法律保全')")
    page.wait_for_selector(".hold-active")
    shot(page, "24b-recording-scored-held")
    page.goto("/access-log")
    text = page.inner_text("#entries")
    assert "播放" in text and "下载" in text and "查询" in text and ticket.number in text
    assert "质检评分" in text and "设置保全" in text
    assert f"{ticket.number} at 1.0 s" in text  # the seek inside what the browser had, logged too
    assert "found" not in text and "找到" in text  # a search's result in words
    assert "哈希链完整" in page.inner_text("#chain")
    shot(page, "25-access-log")


def test_a_compressed_recording_plays_seeks_and_downloads_as_ogg_opus(page, world):
    ticket = world["made"]["recorded"][1]
    assert ticket.recording_path.endswith(".opus")
    log_in(page, "chen")
    page.goto(f"/recordings/{ticket.number}")
    assert "与登记一致" in page.inner_text("#verdict")
    page.evaluate("document.querySelector('#player').play()")
    wait_js(page, "document.querySelector('#player').currentTime > 0.5")
    page.evaluate("document.querySelector('#player').currentTime = 7")   # a seek: a range request
    wait_js(page, "document.querySelector('#player').currentTime > 7.3")
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == f"{ticket.number}.opus"


def test_a_recording_altered_by_one_byte_is_shown_as_altered(page, world):
    ticket = world["made"]["recorded"][1]
    path = Path(ticket.recording_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    log_in(page, "chen")
    page.goto(f"/recordings/{ticket.number}")
    assert "已被改动" in page.inner_text("#verdict")
    shot(page, "26-recording-altered")


def test_an_agent_gets_403_on_a_recording(page, world):
    ticket = world["made"]["recorded"][0]
    log_in(page, "li")
    page.wait_for_url("**/desk")
    assert page.request.get(f"/recordings/{ticket.number}/audio").status == 403
    assert page.request.get(f"/recordings/{ticket.number}").status == 403
