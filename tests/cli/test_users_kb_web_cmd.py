"""``ivr users``, ``ivr kb`` and the console's settings, as an admin uses them."""
from __future__ import annotations

import io

import pytest
import structlog

from ivr.cli import main
from ivr.errors import SettingsError
from ivr.settings import Settings
from support import RULES_FILE


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    structlog.reset_defaults()
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    for key, value in {"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(RULES_FILE),
                       "IVR_CLOCK": "2020-06-01T10:30:00+08:00"}.items():
        monkeypatch.setenv(key, value)
    yield
    structlog.reset_defaults()


def ivr(capsys, monkeypatch, *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_list_passwd_disable(capsys, monkeypatch):
    code, out, _ = ivr(capsys, monkeypatch, "users", "add", "li", "--role", "agent", "--phone", "agent1",
                       "--password-stdin", stdin="correct horse battery\n")
    assert code == 0 and out.strip() == "added li (agent, phone agent1)"
    code, _, err = ivr(capsys, monkeypatch, "users", "add", "zhao", "--role", "agent", "--password-stdin",
                       stdin="correct horse battery\n")
    assert code != 0 and "an agent needs --phone, one of: agent1" in err
    code, _, err = ivr(capsys, monkeypatch, "users", "add", "zhao", "--role", "agent", "--phone", "agent99",
                       "--password-stdin", stdin="correct horse battery\n")
    assert code == 1 and "phone 'agent99' is not an agent in the rules" in err
    assert ivr(capsys, monkeypatch, "users", "passwd", "li", "--password-stdin", stdin="a new long password\n")[0] == 0
    assert ivr(capsys, monkeypatch, "users", "disable", "li")[0] == 0
    code, out, _ = ivr(capsys, monkeypatch, "users", "list")
    assert "li" in out and "agent1" in out and "disabled" in out


def test_kb_import_is_idempotent_and_search_finds_chinese(capsys, monkeypatch):
    code, out, _ = ivr(capsys, monkeypatch, "kb", "import")
    assert code == 0 and "17 added, 0 updated, 0 unchanged, 0 refused" in out
    code, out, _ = ivr(capsys, monkeypatch, "kb", "import")
    assert code == 0 and "0 added, 0 updated, 17 unchanged" in out
    code, out, _ = ivr(capsys, monkeypatch, "kb", "search", "社保卡")
    assert code == 0 and "social-security-card" in out


def test_kb_import_names_a_bad_file(capsys, monkeypatch, tmp_path):
    (tmp_path / "bad.md").write_text("---\nkey: Bad Key\ntitle: x\n---\nbody", encoding="utf-8")
    code, out, err = ivr(capsys, monkeypatch, "kb", "import", str(tmp_path))
    assert code == 1 and "bad.md: key 'Bad Key'" in err and "1 refused" in out


@pytest.mark.parametrize("value", ["http", "0", "70000", "-1"])
def test_a_bad_web_port_names_the_variable_and_the_range(value):
    with pytest.raises(SettingsError, match=f"IVR_WEB_PORT='{value}' is not valid: expected a port: a whole number from 1 to 65535"):
        Settings.from_env({"IVR_WEB_PORT": value})


def test_the_console_listens_on_loopback_by_default():
    settings = Settings.from_env({})
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
