"""The holiday calendar in the console: the admin's rules page lists this year and the next,
each confirmed or provisional, and both it and the wallboard carry the warning from 60 days
before a year without a confirmed list; /metrics has the days of confirmed calendar left; the
candidate page says in words what entering next year's notice changes."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from ivr.settings import Settings
from ivr.web import build_app
from support import RULES_FILE, at
from web.helpers import PASSWORD, csrf_of, log_in

WARNED = at("2026-12-04 10:00")     # 28 days before 2027, which the shipped rules do not confirm
QUIET = at("2026-11-01 10:00")      # 61 days before: no warning yet


def console(store, users, shipped_rules, tmp_path, now):
    users.add("zhou", "admin", PASSWORD, now)
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(rules),
                                  "IVR_ASTERISK_CACHE": str(tmp_path / "no-asterisk")})
    return build_app(settings, store, shipped_rules, clock=lambda: now, secret="s" * 48, users=users)


@pytest.mark.parametrize("now,warned", [(WARNED, True), (QUIET, False)])
def test_the_admin_page_and_the_wallboard_carry_the_warning(store, users, shipped_rules, tmp_path, now, warned):
    app = console(store, users, shipped_rules, tmp_path, now)
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, "zhou")
        page = client.get("/admin/rules").text
        assert ('id="calendar-warning"' in page) is warned
        assert '<h3 id="calendar-2026">2026年 · 已确认（规则文件中的放假安排）</h3>' in page
        assert ('<h3 id="calendar-2027">2027年 · <span class="tag urgent">暂定</span> '
                '按法定节假日推算，尚未录入2027年国务院放假通知</h3>') in page
        assert ('<li class="provisional"><strong>2027-10-01–2027-10-05</strong> 放假：国庆节 2027 '
                '<span class="tag">暂定</span></li>') in page
        assert '<li class="confirmed"><strong>2026-10-01–2026-10-07</strong> 放假：国庆节 2026</li>' in page
        if warned:
            assert "2027年的放假安排尚未录入路由规则（还剩 28 天）" in page
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, "wang")
        board = client.get("/wallboard").text
        assert ('id="calendar-warning"' in board) is warned
        assert ("2027年的放假安排尚未录入路由规则" in board) is warned


def test_the_warning_once_the_year_is_here(store, users, shipped_rules, tmp_path):
    app = console(store, users, shipped_rules, tmp_path, at("2027-02-01 10:00"))
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, "wang")
        assert "正按法定节假日推算（暂定）" in client.get("/wallboard").text


@pytest.mark.parametrize("now,left", [(WARNED, 28), (QUIET, 61), (at("2027-01-01 00:30"), 0)])
def test_metrics_has_the_days_of_confirmed_calendar_left(store, users, shipped_rules, tmp_path, now, left):
    app = console(store, users, shipped_rules, tmp_path, now)
    with TestClient(app, base_url="http://testserver") as client:
        client.get("/login")
        token = (app.state.console.settings.data_dir / "secrets" / "metrics.token").read_text().strip()
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert families["ivr_calendar_confirmed_days_left"].samples[0].value == left


def test_the_candidate_page_says_what_entering_the_notice_changes(store, users, shipped_rules, tmp_path):
    app = console(store, users, shipped_rules, tmp_path, WARNED)
    text = RULES_FILE.read_text(encoding="utf-8").replace(
        "\nworkdays:\n", "\n  - {name: Spring Festival 2027, from: 2027-02-05, to: 2027-02-12}\nworkdays:\n", 1)
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, "zhou")
        token = csrf_of(client.get("/admin/rules").text)
        page = client.post("/admin/rules/edit", files={"text": (None, text)}, data={"csrf": token},
                           follow_redirects=True).text
    assert "节假日安排已确认" in page and "2027年放假安排已录入，取代按法定节假日推算的暂定日历" in page
    assert "改为休息日" in page and "部门休息，并联线路全天转12345" in page and "2027-02-11..2027-02-12" in page
    # 2027's New Year's Day is no longer a holiday under a list that leaves it out
    assert "改为工作日" in page and "2027-01-01" in page
