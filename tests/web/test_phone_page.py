"""``/phone``: an agent whose phone is the browser gets what it needs to register it, only
that agent, never cached, and a Content-Security-Policy that lets the page reach that one
WebSocket (the console's own relay, ``/phone/ws``); an agent on a softphone is told so.
The relay itself is tested in test_phone_relay.py."""
from __future__ import annotations

import html
import json

import pytest

from ivr.asterisk.secrets import load_or_create, secrets_path
from support import REPO
from web.helpers import log_in


@pytest.fixture
def browser_phones(tmp_path, monkeypatch):
    """Trunks where agent1's phone is the browser, and the deploy-time secrets."""
    trunks = tmp_path / "trunks"
    trunks.mkdir()
    for name in ("carrier.yaml", "departments.yaml"):
        (trunks / name).write_text((REPO / "trunks" / name).read_text())
    (trunks / "lab.yaml").write_text("sip:\n  bind: 10.12.0.5\n  port: 5060\n")
    (trunks / "phones.yaml").write_text("phones:\n  networks: [10.12.0.0/16]\n  webrtc: [agent1]\n  http_port: 8088\n")
    monkeypatch.setenv("IVR_TRUNKS", str(trunks))
    return load_or_create(secrets_path(tmp_path / "var"), [f"agent{i}" for i in range(1, 9)])


def test_the_browser_phone_page_carries_its_registration_and_opens_only_that_socket(client, browser_phones):
    log_in(client, "li")
    page = client.get("/phone")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    # the console's own WebSocket (never Asterisk's, which listens on loopback only)
    assert "connect-src 'self' ws://testserver/phone/ws;" in page.headers["content-security-policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]
    text = page.text
    assert 'data-ws="ws://testserver/phone/ws"' in text and 'data-user="agent1"' in text
    assert 'data-domain="10.12.0.5"' in text
    assert f'data-password="{browser_phones.agent_passwords["agent1"]}"' in text
    assert browser_phones.agent_passwords["agent2"] not in text
    words = json.loads(html.unescape(text.split('data-words="', 1)[1].split('"', 1)[0]))
    assert words["in_call"] == "通话中"
    assert '<script type="module" src="/static/phone.js"></script>' in text


def test_an_agent_on_a_softphone_is_told_so_and_gets_no_password(client, browser_phones):
    log_in(client, "zhao")
    page = client.get("/phone")
    assert page.status_code == 200 and "是软电话，不是网页话机" in page.text
    assert browser_phones.agent_passwords["agent2"] not in page.text
    assert "connect-src 'self';" in page.headers["content-security-policy"]


def test_only_agents_see_the_phone(client, browser_phones):
    assert client.get("/phone", follow_redirects=False).status_code in (302, 303)
    log_in(client, "wang")
    assert client.get("/phone").status_code == 403
