"""Running for years, with the real Asterisk, SIPp and the engine (`ivr serve`):

* a backup taken while agents are talking to citizens restores onto an empty machine with every
  order it holds and every recording verifying (SQLite, and PostgreSQL into a throwaway database);
* `ivr health` and /metrics read the running service;
* Asterisk's logs rotated by the repository's logrotate file while the engine is down lose no
  work order: the engine reads the rest of queue_log.1, then the new queue_log.
"""
from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from e2e.asterisk_lab import CARRIER_PORT, SIP_PORT
from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history
from ivr.asterisk.layout import Layout
from ivr.ops import services
from ivr.sipp import place_calls
from support import pg_database, pg_schema, wait_until

pytestmark = pytest.mark.asterisk


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request, tmp_path):
    """(the engine's database, an empty one on the machine restored to)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tickets.sqlite3'}", f"sqlite:///{tmp_path / 'restored' / 'data' / 'ivr.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server").url
    with pg_schema(server, prefix="ivr_e2e_backup") as url, pg_database(server, make_url(url)) as empty:
        yield url, empty


def ivr(env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=180)
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def orders(env: dict) -> dict[str, dict]:
    return {t["number"]: t for t in json.loads(ivr(env, "tickets", "list", "--json", "--limit", "10000").stdout)}


def test_calls_answered_while_a_backup_runs_all_come_back(clean_queues, databases, tmp_path):
    lab = clean_queues
    original_url, empty_url = databases
    skip_queue_log_history(lab.settings)
    lab.login("agent1", "agent2", "agent3")
    env = engine_env(lab.settings, original_url)
    dest = tmp_path / "backup"
    talking = {}
    with running_engine(lab.settings, tmp_path / "engine.log", database_url=original_url) as engine, \
            lab.agent("agent1"), lab.agent("agent2"), lab.agent("agent3"):
        first, _ = lab.call("12345", talk_ms=6000, caller="13911170001")
        assert first.ok and engine.wait_for("ledger.recording", timeout=15), engine.log()[-3000:]
        before = orders(env)
        connects = len(lab.events.connects)
        calls = threading.Thread(target=lambda: talking.update(result=place_calls(
            "12345", lab.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT), caller="13911170002", talk_ms=8000,
            calls=3, rate=2, local_port=CARRIER_PORT, timeout=60)))
        calls.start()
        try:  # agents are talking to two citizens, and their orders exist, when the backup starts
            assert wait_until(lambda: len(lab.events.connects) >= connects + 2, timeout=20)
            assert engine.wait_for("ledger.ticket", count=3, timeout=10), engine.log()[-3000:]
            backup = ivr(env, "backup", str(dest), "--json", "--wait-recordings", "60", ok=False)
        finally:
            calls.join(90)
        assert talking["result"].ok, talking["result"].output[-2000:]
        assert engine.wait_for("ledger.recording", count=4, timeout=30), engine.log()[-3000:]
        health = json.loads(ivr(env, "health", "--json", ok=False).stdout)
        token = (lab.settings.data_dir / "secrets" / "metrics.token").read_text().strip()
        assert engine.wait_for("web.listening", timeout=10)
        port = re.search(r"web.listening\s.*port=(\d+)", engine.log()).group(1)
        scrape = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                        headers={"Authorization": f"Bearer {token}"})
        metrics = urllib.request.urlopen(scrape, timeout=30).read().decode()
    made = json.loads(backup.stdout)
    ours = set(orders(env))
    mine = [p for p in made["problems"] if any(n in p for n in ours)]  # the lab's folder has other tests' files
    assert mine == [] and made["recordings"]["recorded_after_copy"] == [], made
    assert made["database"]["orders"] >= 3 and set(before) <= ours

    checks = {c["name"]: c for c in health["checks"]}
    for name in ("part:routing", "part:work_orders", "part:console", "database", "intake"):
        assert checks[name]["level"] == "ok", checks[name]
    assert checks["asterisk"]["running"] and checks["asterisk"]["version"].startswith("Asterisk 2")
    assert checks["asterisk"]["level"] != "down", checks["asterisk"]
    assert "ivr_asterisk_up 1.0" in metrics and 'ivr_part_processes{part="routing"} 1.0' in metrics

    restored_env = {**env, "IVR_DATA_DIR": str(tmp_path / "restored" / "data"),
                    "IVR_RECORDINGS_DIR": str(tmp_path / "restored" / "rec"), "IVR_DATABASE_URL": empty_url}
    ivr(restored_env, "restore", str(dest))
    back = orders(restored_env)
    assert len(back) == made["database"]["orders"] and set(before) <= set(back) <= ours
    # the copy was taken while agents talked: those orders had no recording yet, and it waited for them
    assert sum(1 for o in back.values() if o["recording_sha256"] is None) >= 2, back
    verify = json.loads(ivr(restored_env, "recordings", "verify", "--json").stdout)
    assert verify["ok"] and verify["checked"] >= len(back)
    for number, order in back.items():  # every order's recording is there, the very file
        path = Path(order["recording_path"])
        assert path.is_relative_to(tmp_path / "restored" / "rec"), order
        original = lab.settings.recordings_dir / path.relative_to(tmp_path / "restored" / "rec")
        assert path.read_bytes() == original.read_bytes(), number
    ivr(restored_env, "recordings", "access-log", "verify")


def test_rotated_asterisk_logs_lose_no_work_order(clean_queues, tmp_path):
    """The engine is down; a call is answered; logrotate (the repository's file, with the
    `logger reload` it asks Asterisk for) rotates the logs; another call is answered; the engine
    starts and makes both orders from the queue log, the first from queue_log.1."""
    lab = clean_queues
    url = f"sqlite:///{tmp_path / 'tickets.sqlite3'}"
    env = engine_env(lab.settings, url)
    log = Layout.from_settings(lab.settings).log
    conf = next(f for f in services.files(lab.settings, lab.trunks, env) if f.path.name == "ivr-12345")
    (tmp_path / "logrotate.conf").write_text(conf.text)
    skip_queue_log_history(lab.settings)
    lab.login("agent1")
    with lab.agent("agent1") as agent1:  # calls talk past the greeting (3 s) to an agent
        first, _ = lab.call("12345", talk_ms=6000, caller="13911180001")
        assert first.ok and len(agent1.wait_for(1, timeout=5)) == 1
        rotate = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(tmp_path / "logrotate.conf")],
                                capture_output=True, text=True, timeout=60)
        assert rotate.returncode == 0, rotate.stderr
        assert "13911180001" in (log / "queue_log.1").read_text()
        second, _ = lab.call("12345", talk_ms=6000, caller="13911180002")
        assert second.ok and len(agent1.wait_for(2, timeout=5)) == 2
        assert wait_until(lambda: "13911180002" in (log / "queue_log").read_text(), timeout=5)  # Asterisk reopened it
        assert "13911180002" not in (log / "queue_log.1").read_text()
        with running_engine(lab.settings, tmp_path / "engine.log", database_url=url) as engine:
            assert engine.wait_for("ledger.ticket", count=2, timeout=20), engine.log()[-3000:]
    callers = sorted(o["caller"] for o in orders(env).values())
    assert callers == ["13911180001", "13911180002"]
