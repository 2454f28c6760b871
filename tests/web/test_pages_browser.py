"""Every page for every role, as people see them: screenshots at 1440x900 and 1280x720 in the real
Chromium, and checks that hold on every page: no English word a user reads (but a short list of
names the trade uses as they are), nothing wider than the window, no failed request.

The screenshots go to ``var/test-output/screenshots/pages`` (IVR_SCREENSHOTS overrides its parent),
named ``<role>-<page>-<width>.png``, to be looked at.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import structlog

from ivr.settings import Settings
from ivr.store import open_store, policy_for
from ivr.store.users import UserStore
from support import REPO
from web.english import english_words
from web.helpers import FAST, NOW, PASSWORD
from web.live_server import CHROMIUM, live_console
from web.supervision_seed import morning

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)")]
SHOTS = Path(os.environ.get("IVR_SCREENSHOTS", REPO / "var" / "test-output" / "screenshots")) / "pages"
SIZES = ((1440, 900), (1280, 720))
STAFF = {"li", "wang", "chen", "zhou"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, shipped_rules):
    structlog.reset_defaults()
    base = tmp_path_factory.mktemp("pages")
    store = open_store(f"sqlite:///{base / 'ivr.sqlite3'}", policy_for(shipped_rules))
    users = UserStore(store.engine, FAST)
    users.add("li", "agent", PASSWORD, NOW, phone="agent1", agents=set(shipped_rules.agents))
    users.add("wang", "supervisor", PASSWORD, NOW)
    users.add("chen", "auditor", PASSWORD, NOW)
    users.add("zhou", "admin", PASSWORD, NOW)
    settings = Settings.from_env({"IVR_DATA_DIR": str(base / "var"), "IVR_RECORDINGS_DIR": str(base / "rec"),
                                  "IVR_RECORDINGS_KEEP_DAYS": "180", "IVR_RULES": str(REPO / "routing_rules.yaml")})
    made = morning(store, settings.recordings_dir)
    store.create_ticket_for_answer("1717000000.77", at=NOW, line="051380000401", department="water",
                                   mode="dedicated", caller="13905130077", queue="seat_water", agent="agent1")
    with live_console(settings, store, shipped_rules, lambda: NOW) as server:
        yield {"store": store, "server": server, "made": made}
    store.close()
    structlog.reset_defaults()


def pages_of(world) -> dict[str, list[tuple[str, str]]]:
    """(name, address) of every page each role opens from its menu, and one of each kind of detail."""
    store = world["store"]
    mine = store.received_by_agent("agent1")
    some = store.list(limit=1)[0].number
    recorded = next((t.number for t in store.list(limit=200) if t.recording_path), some)
    agent = [("desk", "/desk")] + ([("desk-order", f"/desk/{mine[0].number}")] if mine else [])
    return {
        "li": agent,
        "wang": [("wallboard", "/wallboard"), ("supervision", "/supervision"), ("notices", "/notices"),
                 ("callbacks", "/callbacks"), ("orders", "/orders"), ("order", f"/orders/{some}")],
        "chen": [("recordings", "/recordings"), ("recording", f"/recordings/{recorded}"),
                 ("access-log", "/access-log"), ("orders", "/orders")],
        "zhou": [("rules", "/admin/rules"), ("orders", "/orders")],
    }


@pytest.mark.parametrize("who", ["li", "wang", "chen", "zhou"])
def test_every_page_of_every_role_in_chinese_in_the_window(chromium, world, who):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for width, height in SIZES:
        context = chromium.new_context(base_url=world["server"].url, viewport={"width": width, "height": height},
                                       locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(8000)
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto("/login")
        page.fill("#username", who)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for name, address in pages_of(world)[who]:
            page.goto(address)
            page.wait_for_load_state()
            page.screenshot(path=str(SHOTS / f"{who}-{name}-{width}.png"), full_page=True)
            words = english_words(page.inner_text("body"), STAFF)
            if words:
                problems.append(f"{address} at {width}: English {sorted(words)}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{address} at {width}: {wide} px wide")
            clipped = page.evaluate("[...document.querySelectorAll('main .card')]"
                                    ".filter(c => c.scrollWidth > c.clientWidth + 1).length")
            if clipped:
                problems.append(f"{address} at {width}: {clipped} boxes clipped at the right")
        if failed:
            problems.append(f"failed requests: {failed}")
        context.close()
    assert not problems, "\n".join(problems)


def test_no_template_or_label_holds_english_a_user_reads():
    from ivr.web import labels, labels_admin, labels_supervision

    found = {}
    for path in sorted((REPO / "ivr" / "web" / "templates").rglob("*.html")):
        words = english_words(visible_text(path.read_text(encoding="utf-8")))
        if words:
            found[str(path.relative_to(REPO))] = sorted(words)
    for module in (labels, labels_admin, labels_supervision):
        for name in dir(module):
            if name.isupper():
                for where, text in strings(getattr(module, name), f"{module.__name__}.{name}"):
                    words = english_words(re.sub(r"\{[a-z_0-9]*(:[^}]*)?\}", " ", text))
                    if words:
                        found[where] = sorted(words)
    assert not found, found


def visible_text(html: str) -> str:
    """What a template shows a person: its text and the attributes read aloud or shown on hover."""
    html = re.sub(r"\{% block main_class %\}.*?\{% endblock %\}", " ", html)  # a CSS class
    html = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", html, flags=re.S)
    shown = re.findall(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"', html)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]*>|&[a-z]+;", " ", html, flags=re.S)
    return html + " " + " ".join(shown)


def strings(value, where: str):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")
