"""The admin's page of routing rules, through the real app (Starlette's test client) on a real
store: roles, CSRF, edit and upload (hostile files too), check with the problems at their lines,
the semantic diff, the preview, apply, rollback, and each step in the audit trail."""
from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from ivr import data_folder
from ivr.agi.call_log import CallLog
from ivr.core.routing import Call, decide
from ivr.settings import Settings
from ivr.store.rules_versions import RulesVersions
from ivr.web import build_app
from support import RULES_FILE, asterisk_recorded, at, wait_until
from web.helpers import NOW, PASSWORD, csrf_of, log_in

FORWARD_401 = ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
               '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}''')


@pytest.fixture
def admin_app(store, users, shipped_rules, tmp_path):
    users.add("zhou", "admin", PASSWORD, NOW)
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(rules),
                                  "IVR_ASTERISK_CACHE": str(tmp_path / "no-asterisk")})
    app = build_app(settings, store, shipped_rules, clock=lambda: NOW, secret="s" * 48, users=users)
    return app, rules, settings


@pytest.fixture
def admin(admin_app):
    app, rules, settings = admin_app
    with TestClient(app, base_url="http://testserver") as client:
        assert log_in(client, "zhou").status_code == 303
        yield client, rules, settings


def submit(client, text: str):
    token = csrf_of(client.get("/admin/rules").text)
    return client.post("/admin/rules/edit", files={"text": (None, text)}, data={"csrf": token},
                       follow_redirects=True)


def test_only_admins_see_the_page_and_every_post_needs_the_csrf_token(admin_app):
    app, *_ = admin_app
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get("/admin/rules", follow_redirects=False).status_code == 303   # to the login
        log_in(client, "wang")
        page = client.get("/admin/rules")
        assert page.status_code == 403 and "没有权限" in page.text
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, "zhou")
        assert client.post("/admin/rules/edit", files={"text": (None, "x")}).status_code == 403
        assert client.post("/admin/rules/upload", files={"file": ("r.yaml", b"x")}).status_code == 403
        assert client.post("/admin/rules/rollback/1", data={"message": "m"}).status_code == 403


def test_a_broken_edit_shows_each_problem_at_its_line_and_changes_nothing(admin):
    client, rules, _ = admin
    before = rules.read_text(encoding="utf-8")
    text = before.replace("queue: seat_hrss, overflow_queue: q12345", "queue: seat_hr, overflow_queue: q12345")
    page = submit(client, text)
    assert page.status_code == 200 and "发现 1 处问题，规则未生效" in page.text
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "seat_hr," in l)
    assert f'<li id="L{line}" class="bad">' in page.text and "unknown queue &#39;seat_hr&#39;" in page.text
    assert "发布到所有部件" not in page.text
    assert rules.read_text(encoding="utf-8") == before
    trail = RulesVersions(client.app.state.console.store.engine).trail()
    assert (trail[0].actor, trail[0].action, trail[0].outcome) == ("zhou", "edit", "problems")


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00bad", "the file is not UTF-8 text"),
    (b"a: &x [1]\nb: *x\n", "anchors and aliases"),
    (b"x" * (1024 * 1024 + 10), "文件太大：最多 1 MB"),
])
def test_hostile_uploads_are_refused_with_a_message(admin, content, message):
    client, rules, _ = admin
    before = rules.read_text(encoding="utf-8")
    token = csrf_of(client.get("/admin/rules").text)
    page = client.post("/admin/rules/upload", files={"file": ("evil.yaml", content)}, data={"csrf": token},
                       follow_redirects=True)
    assert message in page.text, page.text[:3000]
    assert rules.read_text(encoding="utf-8") == before


def test_a_script_in_the_file_is_shown_as_text(admin):
    client, rules, _ = admin
    text = "# <script>alert('x')</script>\n" + rules.read_text(encoding="utf-8").replace("version: 1", "version: <b>1", 1)
    page = submit(client, text)
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text


def test_check_diff_preview_apply_and_rollback_each_audited(admin, shipped_rules):
    client, rules, settings = admin
    log = CallLog(data_folder.call_log(settings.data_dir)).start()
    for n, when in enumerate(("2020-06-01 10:00", "2020-06-01 10:05", "2020-05-25 20:00")):
        log.record(at(when), "0513-80000401", f"1390000000{n}", f"ivr12345-{n}", shipped_rules.sha256,
                   decide(Call("0513-80000401"), shipped_rules, at(when)))
    assert wait_until(lambda: log.written == 3)
    log.stop()
    asterisk_recorded(settings.data_dir, *((f"ivr12345-{n}", "0513-80000401", f"1390000000{n}") for n in range(3)))
    old = rules.read_text(encoding="utf-8")
    page = submit(client, old.replace(*FORWARD_401))
    assert "检查通过：31 条线路，5 个队列，8 名坐席。" in page.text
    assert "线路变更" in page.text and "051380000401" in page.text and "forward (department=justice, queue=q12345)" in page.text
    sha = re.search(r"/admin/rules/candidate/([0-9a-f]{64})", str(page.url)).group(1)
    preview = client.get(f"/admin/rules/candidate/{sha}?days=30")
    assert "最近 30 天共 3 通来电，新规则下 2 通会改变去向" in preview.text
    assert "13900000000" in preview.text and "13900000001" in preview.text
    token = csrf_of(preview.text)
    assert "请填写说明" in client.post(f"/admin/rules/candidate/{sha}/apply", data={"csrf": token, "message": " "},
                                        follow_redirects=True).text
    applied = client.post(f"/admin/rules/candidate/{sha}/apply", data={"csrf": token, "message": "司法局热线改由12345接听"})
    assert applied.status_code == 200 and "已发布：版本 2 已在所有部件生效。" in applied.text
    assert "未运行（启动时读取生效版本）" in applied.text     # Asterisk is not running here
    assert rules.read_text(encoding="utf-8") == old.replace(*FORWARD_401)
    overview = client.get("/admin/rules")
    assert "司法局热线改由12345接听" in overview.text and "回滚到此版本" in overview.text
    rolled = client.post("/admin/rules/rollback/1", data={"csrf": csrf_of(overview.text), "message": "先回滚"})
    assert rolled.status_code == 200 and "已发布：版本 3" in rolled.text
    assert rules.read_text(encoding="utf-8") == old
    trail = RulesVersions(client.app.state.console.store.engine).trail()
    assert [(e.actor, e.action, e.outcome) for e in trail][:4] == [
        ("zhou", "rollback", "ok"), ("zhou", "apply", "ok"), ("zhou", "preview", "ok"), ("zhou", "edit", "ok")]
    assert [(v.number, v.author) for v in RulesVersions(client.app.state.console.store.engine).history()] == [
        (3, "zhou"), (2, "zhou"), (1, "edited on disk")]
