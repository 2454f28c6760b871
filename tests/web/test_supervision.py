"""Supervisors' and auditors' pages through the app, on SQLite and PostgreSQL: who may see what,
each supervision step recorded with the supervisor, searches and plays logged with the result,
range requests, hostile paths and Range headers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ivr.access_log import log_path
from ivr.settings import Settings
from ivr.web import build_app
from web.helpers import NOW, PASSWORD, csrf_of, log_in
from web.supervision_seed import morning


@pytest.fixture
def world(store, users, kb, shipped_rules, tmp_path):
    users.add("chen", "auditor", PASSWORD, NOW)
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec")})
    made = morning(store, settings.recordings_dir, busy=False)
    app = build_app(settings, store, shipped_rules, clock=lambda: NOW, secret="s" * 48, users=users)
    with TestClient(app, base_url="http://testserver") as client:
        yield {"client": client, "store": store, "made": made, "settings": settings}


def as_user(world, name: str) -> TestClient:
    client = world["client"]
    client.cookies.clear()
    log_in(client, name)
    return client


def journal(world) -> list[dict]:
    path = log_path(world["settings"].data_dir)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("name, allowed", [("wang", {"/wallboard", "/supervision", "/callbacks"}),
                                           ("chen", {"/recordings", "/access-log"}), ("li", set())])
def test_each_role_reaches_only_its_pages(world, name, allowed):
    client = as_user(world, name)
    for url in ("/wallboard", "/wallboard/kpi", "/supervision", "/callbacks", "/recordings", "/access-log",
                "/access-log.csv"):
        expected = 200 if url.split("?")[0] in allowed or (url.startswith("/wallboard") and "/wallboard" in allowed) \
            or (url == "/access-log.csv" and "/access-log" in allowed) else 403
        assert client.get(url).status_code == expected, url


def test_the_home_page_of_a_supervisor_is_the_wallboard_and_of_an_auditor_the_replay(world):
    assert log_in(world["client"], "wang").headers["location"] == "/wallboard"
    world["client"].cookies.clear()
    assert log_in(world["client"], "chen").headers["location"] == "/recordings"


def test_the_wallboard_without_asterisk_says_so_and_shows_the_day(world):
    page = as_user(world, "wang").get("/wallboard").text
    assert "未连接到话务系统" in page and 'sse-swap="wallboard"' in page
    assert "今日每15分钟来电" in page and "<svg" in page and "style=" not in page


def test_supervision_steps_go_through_the_process_with_the_supervisor(world):
    client = as_user(world, "wang")
    token = csrf_of(client.get("/supervision").text)
    number = world["made"]["overdue"][2]
    answer = client.post(f"/supervision/{number}", data={"csrf": token, "step": "redispatch", "unit": "water",
                                                          "note": "改派", "actor": "someone-else"},
                         follow_redirects=False)
    assert answer.status_code == 303
    order = world["store"].get(number).order
    assert (order.history[-1].event, order.history[-1].actor, order.unit) == ("redispatch", "wang", "water")
    refused = client.post(f"/supervision/{number}", data={"csrf": token, "step": "review_pass"})
    assert "流程不允许这一步" in refused.text
    assert client.post(f"/supervision/{number}", data={"step": "redispatch"}).status_code == 403   # no CSRF
    bad_unit = client.post(f"/supervision/{number}", data={"csrf": token, "step": "redispatch", "unit": "../x"})
    assert "没有这个承办单位" in bad_unit.text


def test_a_search_is_logged_and_a_hostile_filter_finds_nothing(world):
    client = as_user(world, "chen")
    ticket = world["made"]["recorded"][0]
    page = client.get("/recordings", params={"q": "1", "number": ticket.number, "from": "2020-06-01"})
    assert ticket.number in page.text
    hostile = client.get("/recordings", params={"q": "1", "caller": "%' OR '1'='1", "line": "<script>"})
    assert hostile.status_code == 200 and "<script>" not in hostile.text and "没有符合条件" in hostile.text
    assert client.get("/recordings", params={"q": "1", "from": "2020-13-45"}).status_code == 422
    entries = journal(world)
    assert [(e["action"], e["user"], e["result"]) for e in entries] == [("search", "chen", "1 found"),
                                                                       ("search", "chen", "0 found")]
    assert entries[0]["what"].endswith(f"number={ticket.number}") and entries[0]["address"] == "testclient"


def test_play_download_and_seeks_are_served_in_ranges_and_logged(world):
    client = as_user(world, "chen")
    ticket = world["made"]["recorded"][0]
    audio = f"/recordings/{ticket.number}/audio"
    whole = Path(ticket.recording_path).read_bytes()
    first = client.get(audio, headers={"Range": "bytes=0-"})
    assert first.status_code == 206 and first.content == whole and first.headers["content-type"] == "audio/wav"
    seek = client.get(audio, headers={"Range": "bytes=80000-80099"})
    assert seek.status_code == 206 and seek.content == whole[80000:80100]
    assert client.get(audio, headers={"Range": f"bytes={len(whole) + 10}-"}).status_code == 416
    assert client.get(audio, headers={"Range": "lines=1-2"}).status_code == 400
    many = client.get(audio, headers={"Range": "bytes=" + ",".join(["0-"] * 200)})
    assert many.status_code in (200, 206) and len(many.content) <= len(whole) + 1000
    download = client.get(audio + "?download=1")
    assert download.status_code == 200 and f'{ticket.number}.wav' in download.headers["content-disposition"]
    actions = [(e["action"], e["result"]) for e in journal(world)]
    assert actions[:3] == [("play", "ok"), ("seek", "ok"), ("seek", "ok")]
    assert ("download", "ok") in actions


def test_a_recording_path_outside_the_folder_is_never_served(world, tmp_path):
    store = world["store"]
    secret = tmp_path / "outside.wav"
    secret.write_bytes(b"RIFF secret")
    ticket, _ = store.create_ticket_for_answer("9.9", at=NOW, line="12345", department="centre", mode="main",
                                               agent="agent1", recording_path=str(secret))
    dotted, _ = store.create_ticket_for_answer("9.8", at=NOW, line="12345", department="centre", mode="main",
                                               agent="agent1", recording_path="../../../etc/passwd")
    client = as_user(world, "chen")
    for number in (ticket.number, dotted.number):
        answer = client.get(f"/recordings/{number}/audio")
        assert answer.status_code == 403 and b"RIFF secret" not in answer.content and b"root:" not in answer.content
        assert client.get(f"/recordings/{number}/audio", headers={"Range": "bytes=5-"}).status_code == 403
        assert "拒绝访问" in client.get(f"/recordings/{number}").text
    assert client.get("/recordings/..%2F..%2Fetc%2Fpasswd/audio").status_code == 404


def test_an_unwritable_access_log_refuses_the_play(world):
    path = log_path(world["settings"].data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()                                   # a folder where the log should be: cannot append
    client = as_user(world, "chen")
    answer = client.get(f"/recordings/{world['made']['recorded'][0].number}/audio")
    assert answer.status_code == 503 and b"RIFF" not in answer.content


def test_holds_and_scores_from_the_page(world):
    client = as_user(world, "chen")
    number = world["made"]["recorded"][0].number
    token = csrf_of(client.get(f"/recordings/{number}").text)
    assert client.post(f"/recordings/{number}/hold", data={"csrf": token, "reason": " "}).status_code == 422
    assert client.post(f"/recordings/{number}/hold", data={"csrf": token, "reason": "诉讼"},
                       follow_redirects=False).status_code == 303
    assert "诉讼" in client.get(f"/recordings/{number}").text
    missing = client.post(f"/recordings/{number}/score", data={"csrf": token, "m_greeting": "5"})
    assert missing.status_code == 422 and "请为「服务态度」打分" in missing.text
    assert 'value="5" selected' in missing.text                  # what was chosen stays chosen
    marks = {f"m_{c}": "5" for c in ("greeting", "attitude", "listening", "accuracy", "dispatch", "efficiency",
                                     "privacy")}
    assert client.post(f"/recordings/{number}/score", data={"csrf": token, **marks, "comment": "很好"},
                       follow_redirects=False).status_code == 303
    assert [e["action"] for e in journal(world)] == ["hold", "score"]


def test_the_access_log_page_shows_a_broken_chain_and_exports_csv(world):
    client = as_user(world, "chen")
    ticket = world["made"]["recorded"][0]
    for _ in range(3):
        client.get(f"/recordings/{ticket.number}/audio")
    path = log_path(world["settings"].data_dir)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"result":"ok"', '"result":"altered"')
    path.write_text("\n".join(lines) + "\n")
    page = client.get("/access-log").text
    assert "哈希链校验失败" in page and "line 2 (entry 2): edited" in page
    exported = client.get("/access-log.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    rows = exported.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("序号,时间,用户,角色,来源地址,操作,对象,结果") and ",播放," in rows[1]  # in Chinese


def test_the_callbacks_list_says_in_chinese_why_a_number_was_joined_or_refused(world):
    """A number pressing 2 call after call: one request waits, the next is joined to it, and past
    the day's ceiling one is refused; the supervisor reads each with its reason."""
    from datetime import timedelta

    from ivr.core.wallboard import day_start
    from ivr.store.surges import SurgeStore

    surges = SurgeStore(world["store"].engine, world["store"].tz)

    def ask(n: int, caller: str = "13900000001", per_day: int = 3):
        when = NOW + timedelta(minutes=n)
        return surges.request_callback(f"9.{n}", queue="q12345", caller=caller, area_code="0513", line="12345",
                                       department="centre", via="wait_offer", at=when, day_start=day_start(when),
                                       per_day=per_day)[0]

    first, joined = ask(1), ask(2)
    surges.start_try(first.id, NOW + timedelta(minutes=3))
    surges.finish_try(first.id, "answered", True, surges_policy(), NOW + timedelta(minutes=4))
    refused, foreign = ask(5, per_day=1), ask(6, caller="0012125550100")
    page = as_user(world, "wang").get("/callbacks").text
    assert "回拨登记" in page and "每个号码每天最多回拨 3 次" in page
    row = lambda r: page[page.index(f'id="cb-{r.id}"'):].split("</tr>")[0]
    assert "已回拨接通" in row(first) and "等待提示时按2" in row(first)
    assert "已并入原登记" in row(joined) and f"回拨登记 #{first.id}" in row(joined)
    assert "今天的回拨次数已达上限" in row(refused) and "已拒绝" in row(refused)
    assert "不是可回拨的号码" in row(foreign)
    only = as_user(world, "wang").get("/callbacks?status=refused").text
    assert f'id="cb-{refused.id}"' in only and f'id="cb-{first.id}"' not in only
    assert as_user(world, "wang").get("/callbacks?status=<script>").status_code == 200


def surges_policy():
    from ivr.core.callbacks import CallbackPolicy
    return CallbackPolicy()


def test_a_seek_into_a_recording_the_manifest_marks_removed_is_refused(world):
    from ivr import recordings

    ticket = world["made"]["recorded"][0]
    rel = recordings.relative_path(world["settings"].recordings_dir, ticket.recording_path)
    recordings.append_removal(world["settings"].recordings_dir, rel, NOW, "retention", "test")
    client = as_user(world, "chen")
    audio = f"/recordings/{ticket.number}/audio"
    assert client.get(audio).status_code == 404
    seek = client.get(audio, headers={"Range": "bytes=1-"})
    assert seek.status_code == 404 and b"RIFF" not in seek.content and len(seek.content) < 5000
    assert [(e["action"], e["result"]) for e in journal(world)][-2:] == [("play", "removed"), ("seek", "removed")]


def test_the_wallboard_and_the_callbacks_page_show_the_missed_calls_called_back(world):
    """A caller missed (left the queue after waiting), then one who rang again and was answered:
    the callbacks page names the kind and why, the wallboard counts them for today."""
    from datetime import timedelta

    from ivr.core.missed import MissedPolicy
    from ivr.core.wallboard import day_start
    from ivr.store.surges import SurgeStore

    store = world["store"]
    surges = SurgeStore(store.engine, store.tz)
    made = []
    for n, caller in enumerate(("13900000071", "13900000072")):
        when = NOW - timedelta(minutes=30 - n)
        store.record_call(f"8.{n}", at=when - timedelta(seconds=40), outcome="offered", line="12345",
                          department="centre", mode="main", caller=caller, door=True)
        made.append(surges.request_missed(f"8.{n}", queue="q12345", caller=caller, area_code="0513", line="12345",
                                          department="centre", at=when, day_start=day_start(when),
                                          policy=MissedPolicy(hours=(0, 24 * 60)))[0])
    surges.start_try(made[0].id, NOW - timedelta(minutes=10))
    surges.finish_try(made[0].id, "answered", True, surges_policy(), NOW - timedelta(minutes=9))
    surges.close_missed("13900000072", "0513", NOW - timedelta(minutes=5))
    client = as_user(world, "wang")
    page = client.get("/callbacks").text
    row = lambda r: page[page.index(f'id="cb-{r.id}"'):].split("</tr>")[0]
    assert "漏接回拨（排队后挂机）" in row(made[0]) and "已回拨接通" in row(made[0])
    assert "市民再次来电并已接听" in row(made[1])
    board = client.get("/wallboard/kpi?period=today").text
    missed = board[board.index("漏接回拨"):].split("</dd>")[0]
    assert "1小时内回拨 1" in missed and "再次来电已接听 1" in missed and "待回拨 0" in missed
