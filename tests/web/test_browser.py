"""The console in a real browser (Debian's Chromium through Playwright, no browser download).

The app runs in uvicorn on a free port over a real SQLite database; orders are taken in through
the store as the AMI listener does. Screenshots of every page a person sees are saved under
``var/test-output/screenshots`` (IVR_SCREENSHOTS overrides) to be looked at.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import structlog

from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.kb import KnowledgeBase
from ivr.store.users import UserStore
from ivr.web import LiveEvent
from support import REPO
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import CHROMIUM, live_console

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]
SHOTS = Path(os.environ.get("IVR_SCREENSHOTS", REPO / "var" / "test-output" / "screenshots"))
_calls = iter(range(1000, 100_000))


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    """The store, the accounts, the knowledge base and the running console, for the module."""
    from ivr.core.kb import parse_article

    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("console")
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    users = UserStore(store.engine, FAST)
    agents = set(shipped_rules.agents)
    users.add("li", "agent", PASSWORD, NOW, phone="agent1", agents=agents)
    users.add("zhao", "agent", PASSWORD, NOW, phone="agent2", agents=agents)
    users.add("wang", "supervisor", PASSWORD, NOW)
    kb = KnowledgeBase(store.engine, store.tz)
    for path in sorted((REPO / "kb").glob("*.md")):
        if path.name != "README.md":
            kb.upsert(parse_article(path.read_text(encoding="utf-8"), path.name, store.tz), NOW)
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var")})
    with live_console(settings, store, shipped_rules, lambda: NOW) as server:
        yield {"store": store, "users": users, "server": server}
    store.close()
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture
def page(browser, world):
    context = browser.new_context(base_url=world["server"].url, viewport={"width": 1440, "height": 960},
                                  locale="zh-CN")
    made = context.new_page()
    made.set_default_timeout(5000)
    yield made
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")


def take_call(world, agent: str = "agent1", caller: str = "13905130017") -> str:
    """An order for a call ``agent`` answered, taken in as the AMI listener does."""
    ticket, _ = world["store"].create_ticket_for_answer(
        f"1717000000.{next(_calls)}", at=NOW, line="051380000401", department="water", mode="dedicated",
        caller=caller, queue="seat_water", agent=agent)
    return ticket.number


def test_login_wrong_password_then_the_desk(page, world):
    page.goto("/desk")
    assert "/login" in page.url
    shot(page, "01-login")
    log_in(page, "li", "not the password")
    assert page.locator(".alert").inner_text() == "登录名或密码不正确"
    shot(page, "02-login-refused")
    log_in(page, "li")
    page.wait_for_url("**/desk")
    assert page.locator(".who .name").inner_text() == "li"


def test_a_post_without_csrf_token_is_403_and_a_wrong_role_gets_the_403_page(page, world):
    number = take_call(world)
    log_in(page, "li")
    page.wait_for_url("**/desk")
    response = page.request.post(f"/desk/{number}", form={"title": "x", "category": "consultation"})
    assert response.status == 403
    page.goto(f"/orders/{number}")
    assert page.locator("h1").inner_text() == "没有权限"
    shot(page, "03-forbidden")


def test_the_desk_form_closes_an_order_on_the_spot_with_a_kb_article(page, world):
    number = take_call(world, caller="13905130088")
    log_in(page, "li")
    page.goto(f"/desk/{number}")
    page.check("input[name=category][value=consultation]")
    page.fill("#title", "社保卡丢失如何补办")
    page.fill("#description", "市民社保卡丢失，询问挂失和补办的地点与所需材料。")
    page.fill("#place", "县政务服务中心")
    page.fill("input[name=q]", "社保卡")
    page.locator(".kb-item", has_text="社会保障卡申领").get_by_role("button", name="采用此条").click()
    page.wait_for_selector("#article-chosen strong")
    page.check("input[name=outcome][value=close]")
    page.wait_for_selector("#draft-status .saved")
    shot(page, "04-desk-filled")
    page.click("button.primary")
    page.wait_for_selector(".flash")
    assert f"工单 {number} 已当场办结" in page.locator(".flash").inner_text()
    shot(page, "05-desk-saved")
    order = world["store"].get(number).order
    assert order.status.value == "closed" and order.title == "社保卡丢失如何补办"
    assert (order.history[-1].actor, order.history[-1].data["article"]) == ("li", "social-security-card")


def test_dispatch_shows_the_deadline_before_saving(page, world):
    number = take_call(world)
    log_in(page, "li")
    page.goto(f"/desk/{number}")
    page.check("input[name=category][value=help_request]")
    page.check("input[name=urgent]")
    page.fill("#title", "小区突发停水")
    page.fill("#description", "幸福小区3号楼从早上起停水，没有通知。")
    page.check("input[name=outcome][value=dispatch]")
    page.select_option("#unit", "water")
    page.wait_for_function("document.querySelector('#deadline .due') && "
                           "document.querySelector('#deadline .due').textContent.includes('2020-06-02 10:30')")
    shot(page, "06-desk-dispatch-deadline")
    page.click("button.primary")
    page.wait_for_selector(".flash")
    assert "已转办县自来水公司" in page.locator(".flash").inner_text()
    order = world["store"].get(number).order
    assert order.status.value == "dispatched" and order.unit == "water" and order.urgent
    assert order.history[-1].actor == "li"


def test_bad_input_is_shown_next_to_the_fields_and_nothing_is_lost(page, world):
    number = take_call(world)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, "li")
    page.goto(f"/desk/{number}")
    page.check("input[name=category][value=complaint]")
    page.fill("#title", "")
    page.evaluate("document.querySelector('#description').value = 'a'.repeat(1000000)")
    page.fill("#place", "<script>alert('x')</script>")
    page.check("input[name=outcome][value=dispatch]")
    page.click("button.primary")
    page.wait_for_selector("#err-title")
    assert page.locator("#err-title").inner_text() == "请填写标题"
    assert "现在有 1000000 字" in page.locator("#err-description").inner_text()
    assert page.locator("#err-unit").inner_text() == "转办时请选择承办单位"
    assert page.input_value("#place") == "<script>alert('x')</script>"
    assert len(page.input_value("#description")) == 1_000_000
    page.evaluate("document.querySelector('#description').value = 'a'.repeat(3000) + '…（1,000,000 个字符，截图只显示开头）'")
    shot(page, "07-desk-bad-input")
    page.evaluate("document.querySelector('#description').value = '投诉内容'")
    page.fill("#title", "<script>alert('x')</script>")
    page.select_option("#unit", "urban_management")
    page.click("button.primary")
    page.wait_for_selector(".flash")
    shot(page, "07b-desk-after-script-title")
    assert dialogs == []
    assert world["store"].get(number).order.title == "<script>alert('x')</script>"
    page.click(".logout button")
    page.wait_for_url("**/login")
    log_in(page, "wang")
    page.goto(f"/orders/{number}")
    assert "<script>alert('x')</script>" in page.locator(".card h2").inner_text()
    shot(page, "08-order-history")
    page.goto("/orders")
    shot(page, "09-orders")
    assert dialogs == []


def test_a_draft_survives_a_reload(page, world):
    number = take_call(world)
    log_in(page, "li")
    page.goto(f"/desk/{number}")
    page.fill("#title", "路灯三天不亮")
    page.wait_for_selector("#draft-status .saved")
    page.reload()
    assert page.input_value("#title") == "路灯三天不亮"
    assert page.locator(".info").is_visible()


def test_an_event_published_for_the_agent_shows_on_the_page_and_not_on_others(page, browser, world):
    log_in(page, "li")
    page.wait_for_url("**/desk")
    other = browser.new_context(base_url=world["server"].url).new_page()
    log_in(other, "zhao")
    other.wait_for_url("**/desk")
    hub = world["server"].hub
    deadline = time.monotonic() + 5
    while (hub.subscribers("agent1") == 0 or hub.subscribers("agent2") == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    hub.publish_threadsafe("agent1", LiveEvent("notice", {"title": "来电 13905130017", "text": "<b>测试</b>"}))
    page.wait_for_selector("#live .notice-title")
    print(f"\nhub -> page: {(time.monotonic() - started) * 1000:.0f} ms")
    assert page.locator("#live .notice-title").inner_text() == "来电 13905130017"
    assert page.locator("#live").inner_text().count("<b>测试</b>") == 1
    shot(page, "10-desk-live-event")
    assert "13905130017" not in other.locator("#live").inner_text()
    other.context.close()
