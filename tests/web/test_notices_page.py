"""The supervisors' incident-notice page: put a notice up (its prompt made by espeak-ng, as with
`ivr notices add`), see it, take it down; refusals name the field; agents may not."""
from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient
from web.helpers import NOW, csrf_of, log_in

from ivr.asterisk.layout import Layout
from ivr.settings import Settings
from ivr.store.surges import SurgeStore
from ivr.web import build_app


@pytest.fixture
def world(store, users, kb, shipped_rules, tmp_path):
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RECORDINGS_DIR": str(tmp_path / "rec")})
    app = build_app(settings, store, shipped_rules, clock=lambda: NOW, secret="s" * 48, users=users)
    with TestClient(app, base_url="http://testserver") as client:
        yield client, SurgeStore(store.engine), settings


def _form(client: TestClient, **fields) -> dict:
    token = csrf_of(client.get("/notices").text)
    return {"csrf": token, "from": NOW.strftime("%Y-%m-%dT%H:%M"),
            "until": (NOW + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), **fields}


def test_a_supervisor_puts_a_notice_up_and_takes_it_down(world):
    client, surges, settings = world
    log_in(client, "wang")
    sent = client.post("/notices", data=_form(client, text="城东停水，预计18点恢复。", lines="0513-80000304",
                                              queue_seat_water="1"), follow_redirects=True)
    assert sent.status_code == 200 and "已发布" in sent.text
    [notice] = surges.notices()
    assert (notice.lines, notice.queues, notice.created_by) == (("051380000304",), ("seat_water",), "wang")
    assert (Layout.from_settings(settings).sounds / f"{notice.prompt}.wav").stat().st_size > 1000
    page = client.get("/notices").text
    assert "城东停水" in page and f'action="/notices/{notice.id}/end"' in page
    # its window as the supervisor typed it, in the centre's time
    assert f"<td>{NOW:%m-%d %H:%M}</td>" in page and f"<td>{NOW + timedelta(hours=3):%m-%d %H:%M}</td>" in page
    token = csrf_of(page)
    ended = client.post(f"/notices/{notice.id}/end", data={"csrf": token}, follow_redirects=True)
    assert "已结束" in ended.text
    assert surges.notices()[0].ended_by == "wang"
    # no longer counted as on air, and listed apart with when it ended, not its planned end
    live, _, gone = ended.text.partition('id="notices-ended"')
    assert '播报中及待播 <span class="count">0</span>' in live and "城东停水" not in live
    assert "城东停水" in gone and "已提前结束" in gone and "自来水专席" in gone


@pytest.mark.parametrize("fields, says", [
    ({"text": "x", "lines": "0513-99999999"}, "lines: '0513-99999999' is not a line"),
    ({"text": "x", "lines": ""}, "lines / queues"),
    ({"text": "", "lines": "12345"}, "text:"),
    ({"text": "x", "lines": "12345", "until": "2020-01-01T00:00"}, "until"),
    ({"text": "x", "lines": "12345", "until": "tomorrow"}, "until: 'tomorrow' is not a time"),
])
def test_a_refusal_names_the_field(world, fields, says):
    client, surges, _ = world
    log_in(client, "wang")
    shown = client.post("/notices", data=_form(client, **fields), follow_redirects=True)
    assert says in shown.text.replace("&#39;", "'")
    assert surges.notices() == []


def test_agents_may_not(world):
    client, _, _ = world
    log_in(client, "li")
    assert client.get("/notices").status_code == 403
