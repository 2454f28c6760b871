"""What the demo prints when its console keeps running: one login per role, the variables that make
`ivr users add` write to the demo's database, and how to call the running demo."""
from __future__ import annotations

from ivr.demo.report import render_text


def kept(accounts: list[dict]) -> dict:
    return {"at": "2020-06-01T10:00:00+08:00", "calls": [], "tickets": [], "report": None, "ok": True,
            "data_dir": "/tmp/demo", "recordings_check": {"ok": True, "checked": 0, "problems": []},
            "console": {"url": "http://127.0.0.1:9080/", "kept_running": True, "accounts": accounts,
                        "env": {"IVR_DATA_DIR": "/tmp/demo", "IVR_DATABASE_URL": "sqlite:////tmp/demo/t.sqlite3",
                                "IVR_RECORDINGS_DIR": "/tmp/demo/recordings"},
                        "sip": "127.0.0.1:6060", "carrier_port": 6100}}


def test_the_kept_console_prints_one_login_per_role_the_demos_variables_and_how_to_call():
    accounts = [{"name": f"demo-agent{i}", "role": "agent", "password": f"p{i}"} for i in (1, 2, 3)]
    accounts += [{"name": f"demo-{r}", "role": r, "password": f"p-{r}"} for r in ("supervisor", "auditor", "admin")]
    text = "\n".join(render_text(kept(accounts)))
    for role in ("agent", "supervisor", "auditor", "admin"):
        assert f"  {role:<11} demo-" in text
    assert "demo-agent2" not in text
    assert ("IVR_DATA_DIR=/tmp/demo IVR_DATABASE_URL=sqlite:////tmp/demo/t.sqlite3 "
            "IVR_RECORDINGS_DIR=/tmp/demo/recordings .venv/bin/ivr users add") in text
    assert "sipp -sn uac -s 12345 -m 1 127.0.0.1:6060" in text
