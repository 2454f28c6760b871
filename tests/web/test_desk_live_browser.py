"""The desk follows the live call, and a draft survives a reload at any moment (real Chromium).

The console runs in uvicorn over a real SQLite database, with the agents' states held by the
same :class:`ivr.core.presence.Presence` the AMI feed keeps (fed here with the facts Asterisk's
events state) and live events published to the hub as the feed publishes them.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import structlog

from ivr.core import presence as p
from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.users import UserStore
from ivr.web import LiveEvent
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import CHROMIUM, live_console

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]
_calls = iter(range(5000, 100_000))


class Feed:
    """What the console reads of the AMI feed: each agent's view, kept from presence facts."""

    def __init__(self, agents) -> None:
        self.presence = p.Presence(tuple(agents))
        self.logged_in = threading.Event()
        self.logged_in.set()

    def view(self, agent: str) -> p.AgentView:
        return self.presence.agent(agent, NOW)


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("desk-live")
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    users = UserStore(store.engine, FAST)
    users.add("li", "agent", PASSWORD, NOW, phone="agent1", agents=set(shipped_rules.agents))
    feed = Feed(shipped_rules.agents)
    feed.presence.apply(p.Member("agent1", "q12345"), NOW)
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var")})
    with live_console(settings, store, shipped_rules, lambda: NOW, presence=feed) as server:
        yield {"store": store, "server": server, "feed": feed}
    store.close()
    structlog.reset_defaults()


@pytest.fixture
def page(chromium, world):
    context = chromium.new_context(base_url=world["server"].url, viewport={"width": 1440, "height": 900},
                                  locale="zh-CN")
    made = context.new_page()
    made.set_default_timeout(5000)
    made.goto("/login")
    made.fill("#username", "li")
    made.fill("#password", PASSWORD)
    made.click("button[type=submit]")
    made.wait_for_url("**/desk")
    yield made
    context.close()
    world["feed"].presence.apply(p.Completed("agent1", ""), NOW)


def answered(world, caller: str) -> tuple[str, p.Call]:
    """A call agent1 answered: its order taken in as the intake does, and the call as AMI says."""
    linkedid = f"1717000000.{next(_calls)}"
    ticket, _ = world["store"].create_ticket_for_answer(
        linkedid, at=NOW, line="051380000401", department="water", mode="dedicated", caller=caller,
        queue="seat_water", agent="agent1")
    return ticket.number, p.Call(linkedid, "seat_water", caller, "051380000401", "water", "dedicated")


def talking(world, call: p.Call) -> None:
    world["feed"].presence.apply(p.Connected("agent1", call), NOW)


def hung_up(world, call: p.Call) -> None:
    world["feed"].presence.apply(p.Completed("agent1", call.linkedid), NOW)


def listening(page) -> None:
    """Wait for this page's live stream (another page's may not have noticed it closed yet)."""
    page.wait_for_selector("body[data-live=open]", state="attached")


def arrived(page, path: str, timeout: float = 10) -> None:
    """Wait until the page shows ``path`` (page scripts cannot be evaluated: the CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while not page.url.endswith(path) and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright see the navigation (time.sleep would not)
    assert page.url.endswith(path), (page.url)
    page.wait_for_selector("#order-form")


def test_on_a_live_call_the_desk_opens_that_calls_order_not_the_oldest_waiting(page, world):
    older, _ = answered(world, "13905132001")
    live, call = answered(world, "13915133000")
    talking(world, call)
    try:
        page.goto("/desk")
        assert page.get_attribute("#order-form", "data-order") == live
        assert "13915133000" in page.inner_text(".call-facts")
        page.goto(f"/desk/{older}")  # the agent may open another order, and is told it is not the call's
        assert live in page.inner_text(".not-live") and older in page.inner_text(".not-live")
        page.click(".not-live a.button")
        page.wait_for_url(f"**/desk/{live}")
    finally:
        hung_up(world, call)


def test_without_a_call_no_order_opens_by_itself(page, world):
    answered(world, "13905132002")
    page.goto("/desk")
    assert page.query_selector("#order-form") is None
    assert "现在没有通话" in page.inner_text(".pick-an-order")
    state = page.inner_text("#agent-state")
    assert "所在队列：12345综合坐席" in state and "q12345" not in state  # names, not ids


def test_the_form_follows_the_screen_pop_to_the_new_calls_order(page, world):
    older, _ = answered(world, "13905132003")
    page.goto(f"/desk/{older}")
    page.fill("#title", "上一个电话的标题")
    listening(page)
    live, call = answered(world, "13915133001")
    talking(world, call)
    try:
        ticket, earlier = world["store"].order_with_history(call.linkedid)
        hub = world["server"].hub
        hub.publish_threadsafe("agent1", LiveEvent("screen_pop", {"call": call.__dict__, "department_name": "",
                                                                   "mode": "dedicated", "at": NOW}))
        page.wait_for_selector("#live .pop")
        hub.publish_threadsafe("agent1", LiveEvent("screen_pop_order", {"ticket": ticket, "earlier": earlier,
                                                                         "units": {}}))
        arrived(page, f"/desk/{live}")
        assert page.get_attribute("#order-form", "data-order") == live
        page.goto(f"/desk/{older}")  # what was typed on the earlier order was kept
        assert page.input_value("#title") == "上一个电话的标题"
    finally:
        hung_up(world, call)


@pytest.mark.parametrize("field", ["#title", "#description"])
def test_a_reload_right_after_the_last_key_loses_nothing(page, world, field):
    number, _ = answered(world, "13905132004")
    page.goto(f"/desk/{number}")
    page.fill("#title", "路灯")
    page.type(field, "三天不亮", delay=20)
    typed = page.input_value(field)
    page.reload()  # at once: no wait for the autosave
    assert page.input_value(field) == typed
    page.goto("/desk")  # and the server has it, not only this tab
    page.evaluate("sessionStorage.clear()")
    page.goto(f"/desk/{number}")
    assert page.input_value(field) == typed


def test_the_form_at_900_px_asks_only_what_applies_and_points_at_what_to_fix(page, world):
    number, _ = answered(world, "13905132005")
    page.goto(f"/desk/{number}")
    assert page.locator("button.primary:has-text('保存工单')").is_visible()
    box = page.locator("button.primary:has-text('保存工单')").bounding_box()
    assert box["y"] + box["height"] <= 900  # in sight without scrolling
    assert "紧急" not in page.inner_text(".choices")  # urgency is not a category
    assert not page.locator("#unit").is_visible()  # no unit to choose for 当场办结
    page.check("input[name=outcome][value=close]")
    assert not page.locator("#unit").is_visible()
    page.check("input[name=outcome][value=dispatch]")
    assert page.locator("#unit").is_visible()
    page.check("input[name=category][value=complaint]")
    page.fill("#description", "内容")
    page.click("button.primary")
    page.wait_for_selector("#err-title")
    assert page.evaluate("document.activeElement.id") == "title"


def test_no_favicon_404_and_no_browser_phone_link_for_a_softphone_agent(page, world):
    assert page.request.get("/favicon.ico").status == 200
    assert page.locator("link[rel=icon]").count() == 1
    assert page.locator("nav a:has-text('网页话机')").count() == 0  # agent1 is a SIP phone, not the browser


def test_the_orders_list_reads_whole_and_a_deadline_at_midnight_is_the_day_before(chromium, world):
    number, _ = answered(world, "13905132006")
    world["store"].apply(number, "dispatch", "li", NOW, category="help_request", title="路灯不亮", urgent=False,
                         description="路灯三天不亮", unit="urban_management")
    page = supervisor(chromium, world)
    page.goto("/orders")
    row = page.locator("tr", has=page.locator(f"a:has-text('{number}')"))
    assert page.locator("th").nth(3).inner_text() == "来电部门"
    assert "2020-06-08 24:00" in row.inner_text() and "00:00" not in row.inner_text()  # not "06-09 00:00"
    lines = ("e => { const r = document.createRange(); r.selectNodeContents(e);"
             " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }")
    for cell in (4, 6):  # category and status on one line each
        assert row.locator("td").nth(cell).evaluate(lines) == 1, cell
    page.context.close()


def supervisor(chromium, world):
    users = UserStore(world["store"].engine, FAST)
    if users.get("wang") is None:
        users.add("wang", "supervisor", PASSWORD, NOW)
    context = chromium.new_context(base_url=world["server"].url, viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto("/login")
    page.fill("#username", "wang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_an_order_not_overdue_can_be_escalated_from_its_page_which_says_who_takes_each_step(chromium, world):
    number, _ = answered(world, "13905132007")
    world["store"].apply(number, "dispatch", "li", NOW, category="complaint", title="噪音扰民", urgent=False,
                         description="夜间施工", unit="urban_management")
    page = supervisor(chromium, world)
    page.goto(f"/orders/{number}")
    steps = page.inner_text(".card dl")
    assert "单位签收：承办单位" in steps and "列入督办：督办员" in steps
    page.fill("form.escalate input[name=note]", "市民多次反映，提前督办")
    page.click("form.escalate button")
    page.wait_for_url("**/supervision*")
    assert number in page.inner_text("main")
    history = world["store"].get(number).order.history[-1]
    assert (history.event, history.actor) == ("escalate", "wang")
    page.context.close()
