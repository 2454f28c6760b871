"""The classic process-per-call scripts, run as Asterisk runs them: a subprocess on stdin/stdout.

``sessions/asterisk22_route_12345.agi`` is a real session recorded from Asterisk 22.10 (the
header it sent to a classic AGI for a call to 12345, then its answer to each of the 12
commands); ``.expected`` is what the script must write, byte for byte.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from support import REPO, RULES_FILE

SCRIPTS = REPO / "agi_scripts"
SESSIONS = Path(__file__).parent / "sessions"
OK = b"200 result=1\n"


def run(script: str, stdin: bytes, env_extra: dict | None = None, tmp: Path | None = None,
        timeout: float = 20) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "IVR_RULES": str(RULES_FILE),
           "IVR_CLOCK": "2026-03-10T10:00"}
    if tmp is not None:
        env["IVR_DATA_DIR"] = str(tmp)
    env.update(env_extra or {})
    return subprocess.run([str(SCRIPTS / script)], input=stdin, capture_output=True, env=env,
                          timeout=timeout, check=False)


def session(**values: str) -> bytes:
    head = {"request": str(SCRIPTS / "route.py"), "channel": "PJSIP/carrier-00000001",
            "uniqueid": "1700000000.1", "callerid": "13912345678", "extension": "12345"}
    head.update(values)
    return "".join(f"agi_{k}: {v}\n" for k, v in head.items()).encode() + b"\n"


def commands(stdout: bytes) -> list[str]:
    return stdout.decode().splitlines()


def test_scripts_are_executable():
    assert os.access(SCRIPTS / "route.py", os.X_OK)


def test_there_is_no_rating_script():
    """A rating must never be taken from AGI (anyone on the box can speak it): it travels over AMI."""
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == ["route.py"]


def test_route_replays_a_recorded_asterisk_session(tmp_path):
    recorded = (SESSIONS / "asterisk22_route_12345.agi").read_bytes()
    result = run("route.py", recorded, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (SESSIONS / "asterisk22_route_12345.expected").read_bytes()


@pytest.mark.parametrize("values, replies, expected", [
    ({"extension": "80000301"}, [OK] * 12, [
        'SET VARIABLE "IVR_ACTION" "queue"',
        'SET VARIABLE "IVR_LINE" "051380000301"',
        'SET VARIABLE "IVR_MODE" "dedicated"',
        'SET VARIABLE "IVR_DEPARTMENT" "environment"',
        'SET VARIABLE "IVR_DEPARTMENT_NAME" "生态环境局"',
        'SET VARIABLE "IVR_PROMPTS" ""',
        'SET VARIABLE "IVR_QUEUE" "seat_environment"',
        'SET VARIABLE "IVR_OVERFLOW_AFTER" "30"',
        'SET VARIABLE "IVR_OVERFLOW_QUEUE" "q12345"',
        'SET VARIABLE "IVR_DESTINATION" ""',
        'SET VARIABLE "IVR_DIAL_TIMEOUT" ""',
        'SET VARIABLE "IVR_FALLBACK_QUEUE" ""']),
    # Called from `s` with no argument: it asks the channel for IVR_LINE first.
    ({"extension": "s"}, [b"200 result=1 (80000102)\n"] + [OK] * 12, [
        'GET VARIABLE "IVR_LINE"',
        'SET VARIABLE "IVR_ACTION" "queue"',
        'SET VARIABLE "IVR_LINE" "051380000102"',
        'SET VARIABLE "IVR_MODE" "forward"']),
])
def test_route_writes_exactly_these_commands(tmp_path, values, replies, expected):
    result = run("route.py", session(**values) + b"".join(replies), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert commands(result.stdout)[:len(expected)] == expected
    assert len(commands(result.stdout)) == len(replies)


def test_hostile_and_non_utf8_caller_ids_change_nothing(tmp_path):
    plain = run("route.py", session() + OK * 12, tmp=tmp_path)
    hostile_head = session(callerid='1" EXEC Dial PJSIP/evil \\').replace(
        b"agi_uniqueid", b"agi_calleridname: \xff\xfe\xe5\nagi_uniqueid")
    hostile = run("route.py", hostile_head + OK * 12, tmp=tmp_path)
    assert hostile.returncode == 0, hostile.stderr
    assert hostile.stdout == plain.stdout
    assert b"\xff" not in hostile.stderr and b"\\" not in hostile.stderr.split(b"caller", 1)[0]


def test_bad_rules_file_writes_nothing(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\ncentre: [not, a, mapping]\n", encoding="utf-8")
    result = run("route.py", session() + OK * 12, env_extra={"IVR_RULES": str(bad)}, tmp=tmp_path)
    assert result.returncode == 0
    assert result.stdout == b""  # the dialplan's fail-safe takes the call
    assert b"RulesError" in result.stderr and str(bad).encode() in result.stderr


def test_rules_cache_follows_the_file(tmp_path):
    rules = tmp_path / "rules.yaml"
    shutil.copy(RULES_FILE, rules)
    env = {"IVR_RULES": str(rules)}
    first = run("route.py", session(extension="80000301") + OK * 12, env_extra=env, tmp=tmp_path)
    assert list((tmp_path / "cache").glob("rules-*.pickle"))
    again = run("route.py", session(extension="80000301") + OK * 12, env_extra=env, tmp=tmp_path)
    assert again.stdout == first.stdout
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("overflow_after: 30}", "overflow_after: 45}", 1),
                     encoding="utf-8")
    edited = run("route.py", session(extension="80000301") + OK * 12, env_extra=env, tmp=tmp_path)
    assert 'SET VARIABLE "IVR_OVERFLOW_AFTER" "45"' in commands(edited.stdout)
    assert len(list((tmp_path / "cache").glob("rules-*.pickle"))) == 2


def test_clock_moves_a_sunset_line_past_retirement(tmp_path):
    def prompts(clock: str) -> str:
        out = run("route.py", session(extension="80000201") + OK * 12,
                  env_extra={"IVR_CLOCK": clock}, tmp=tmp_path)
        return [c for c in commands(out.stdout) if '"IVR_PROMPTS"' in c][0]

    assert "hotline/sunset_notice_20200728" in prompts("2020-06-01T10:00")
    assert "hotline/number_retired" in prompts("2020-08-01T10:00")


def test_sighup_mid_script_stops_writing(tmp_path):
    """Asterisk signals a classic AGI's hang-up with SIGHUP (recorded: no HANGUP line on stdin)."""
    proc = subprocess.Popen([str(SCRIPTS / "route.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PATH": os.environ.get("PATH", ""), "IVR_RULES": str(RULES_FILE),
                                 "IVR_DATA_DIR": str(tmp_path)})
    try:
        proc.stdin.write(session())
        proc.stdin.flush()
        first = proc.stdout.readline()
        assert first.startswith(b'SET VARIABLE "IVR_ACTION"')
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.1)
        proc.stdin.write(OK * 12)
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(10) == 0
        assert rest == b""
        assert b"hangup" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_line_is_decided_once_a_minute_then_answered_from_the_cache(tmp_path):
    """The first call of a line decides with the core; the next ones read the minute's cache and
    write the same bytes. An edited rules file is never answered from the old entry."""
    rules = tmp_path / "routing_rules.yaml"
    shutil.copyfile(RULES_FILE, rules)
    first = run("route.py", session(extension="80000301") + OK * 12, {"IVR_RULES": str(rules)}, tmp_path)
    second = run("route.py", session(extension="80000301") + OK * 12, {"IVR_RULES": str(rules)}, tmp_path)
    assert b"path=decided" in first.stderr and b"path=cached" in second.stderr
    assert first.stdout == second.stdout and b'"IVR_QUEUE" "seat_environment"' in first.stdout
    other = run("route.py", session(extension="12345") + OK * 12, {"IVR_RULES": str(rules)}, tmp_path)
    assert b"path=decided" in other.stderr and b'"IVR_QUEUE" "q12345"' in other.stdout
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = run("route.py", session(extension="80000301") + OK * 12, {"IVR_RULES": str(rules)}, tmp_path)
    assert b"path=decided" in edited.stderr and edited.stdout == first.stdout
    assert oct((tmp_path / "cache" / "decisions.txt").stat().st_mode & 0o777) == "0o600"


def test_the_cache_is_per_clock(tmp_path):
    """IVR_CLOCK fixes every call's time: a sunset line before and after its retirement day."""
    before = run("route.py", session(extension="80000201") + OK * 12, {"IVR_CLOCK": "2020-06-01T10:00"}, tmp_path)
    after = run("route.py", session(extension="80000201") + OK * 12, {"IVR_CLOCK": "2021-06-01T10:00"}, tmp_path)
    again = run("route.py", session(extension="80000201") + OK * 12, {"IVR_CLOCK": "2021-06-01T10:00"}, tmp_path)
    assert b"path=decided" in after.stderr and b"path=cached" in again.stderr
    assert before.stdout != after.stdout and after.stdout == again.stdout
