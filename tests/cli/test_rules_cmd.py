"""The admin's commands, run as the installed ``ivr`` console script (a real process)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from support import REPO, RULES_FILE

IVR = str(Path(sys.executable).with_name("ivr"))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([IVR, *args], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def built_prompts(tmp_path_factory) -> dict:
    """A data folder whose sounds hold the stand-in prompts (``ivr prompts build``)."""
    env = {"IVR_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    result = run("prompts", "build", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_check_accepts_the_shipped_file(built_prompts):
    result = run("rules", "check", str(RULES_FILE), env=built_prompts)
    assert result.returncode == 0, result.stderr
    assert "OK: 31 lines (1 main, 5 forward, 7 sunset, 4 dedicated, 14 parallel)" in result.stdout


def _needs_asterisk() -> None:
    from ivr.asterisk.install import locate
    from ivr.errors import AsteriskError
    from ivr.settings import Settings

    try:
        locate(Settings.from_env().asterisk_cache)
    except AsteriskError:
        pytest.skip("no Asterisk on this machine: the prompts cannot be checked (a notice says so)")


def test_a_fresh_data_folder_has_stand_ins_to_build_not_broken_rules(tmp_path):
    """The newcomer's path: on a fresh machine the shipped rules check clean; the stand-ins not
    built yet are named as such, and `ivr prompts build` (the Makefile's prompts step) makes them."""
    _needs_asterisk()
    env = {"IVR_DATA_DIR": str(tmp_path / "fresh")}
    fresh = run("rules", "check", str(RULES_FILE), env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert "problem" not in fresh.stdout + fresh.stderr and "OK: 31 lines" in fresh.stdout
    assert "6 stand-in prompt(s) not built on this machine yet" in fresh.stderr
    assert "hotline/sunset_notice_20200728" in fresh.stderr and "`ivr prompts build`" in fresh.stderr
    assert run("prompts", "build", env=env).returncode == 0
    built = run("rules", "check", str(RULES_FILE), env=env)
    assert built.returncode == 0, built.stderr
    assert "stand-in" not in built.stderr and "OK: 31 lines" in built.stdout


@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_demo_and_make_test_build_the_stand_ins_of_the_default_data_folder(target):
    planned = subprocess.run(["make", "-n", "-C", str(REPO), target], capture_output=True, text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    assert ".venv/bin/ivr prompts build" in planned.stdout


def test_a_missing_recording_or_a_prompt_nobody_can_make_is_still_a_problem(tmp_path, built_prompts):
    _needs_asterisk()
    if not shutil.which("sox"):
        pytest.skip("needs sox (bash tools/install-prompts.sh)")
    env = {"IVR_DATA_DIR": str(tmp_path / "data")}
    recording = tmp_path / "greeting.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(recording), "synth", "1", "sine", "440"], check=True)
    assert run("prompts", "add", "hotline/greeting", str(recording), env=env).returncode == 0
    (tmp_path / "data" / "asterisk" / "sounds" / "hotline" / "greeting.wav").unlink()
    gone = run("rules", "check", str(RULES_FILE), env=env)
    assert gone.returncode == 1
    assert "routing_rules.yaml:38: prompts.greeting[0]: prompt 'hotline/greeting'" in gone.stderr
    assert "the centre's recording" in gone.stderr and "1 problem(s)" in gone.stderr
    assert "Traceback" not in gone.stderr
    text = RULES_FILE.read_text(encoding="utf-8").replace(
        "rating_thanks: [hotline/rating_thanks]", "rating_thanks: [hotline/rating_thanks, digits/1, no-such-sound, "
        "hotline/thanks_again]")
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    stock = run("rules", "check", str(rules), env=built_prompts)
    assert stock.returncode == 1 and stock.stderr.count("does not exist") == 2
    assert "prompts.rating_thanks[2]: prompt 'no-such-sound'" in stock.stderr
    assert "prompts.rating_thanks[3]: prompt 'hotline/thanks_again'" in stock.stderr


def test_check_names_both_lines_of_a_duplicate_number_and_a_misspelt_key(tmp_path, shipped_text):
    text = shipped_text.replace('{number: "0513-80000105"', '{number: "0513-80000104"', 1)
    text = text.replace("queue: seat_hrss, overflow_queue", "queue: seat_hrss, overflow_queu", 1)
    bad = tmp_path / "rules.yaml"
    bad.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    dup_line = next(i for i, l in enumerate(lines, 1) if '"0513-80000104", department: culture_tourism' in l)
    first_line = next(i for i, l in enumerate(lines, 1) if '"0513-80000104", department: urban_management' in l)
    typo_line = next(i for i, l in enumerate(lines, 1) if "overflow_queu:" in l)
    result = run("rules", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:{dup_line}: lines[5].number: duplicate number '0513-80000104': already used at line {first_line}" in result.stderr
    assert f"{bad}:{typo_line}: lines[14].overflow_queu: unknown key 'overflow_queu' (did you mean 'overflow_queue'?)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8", b"lines: [\n", b""])
def test_check_refuses_unreadable_files_without_traceback(tmp_path, content):
    bad = tmp_path / "rules.yaml"
    bad.write_bytes(content)
    result = run("rules", "check", str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_check_of_a_missing_file():
    result = run("rules", "check", "/nonexistent/rules.yaml")
    assert result.returncode == 1 and "cannot read the file" in result.stderr


def test_show_json_lists_the_inventory():
    result = run("rules", "show", "--json", str(RULES_FILE))
    assert result.returncode == 0, result.stderr
    lines = json.loads(result.stdout)
    assert len(lines) == 31
    assert Counter(l["mode"] for l in lines) == {"main": 1, "forward": 5, "sunset": 7, "dedicated": 4, "parallel": 14}
    departments = {l["department"] for l in lines}
    assert len(departments - {"centre"}) == 27 and "centre" in departments
    assert all({"number", "department", "mode"} <= set(l) for l in lines)
    sunset = [l for l in lines if l["mode"] == "sunset"]
    assert all(l["go_live"] == "2020-04-28" and l["retire_on"] == "2020-07-28" for l in sunset)
    assert sum(1 for l in lines if l["assumed"]) >= 10  # the ten unnamed parallel departments at least


def test_show_prints_a_table():
    result = run("rules", "show", str(RULES_FILE), env={"IVR_CLOCK": "2020-06-01T10:00"})
    assert result.returncode == 0
    table = result.stdout.split("\n\n")[0].splitlines()
    assert len(table) == 32  # header + 31 lines
    assert "Gas Company (assumed)" in result.stdout
    assert "holiday calendar (today 2020-06-01" in result.stdout


@pytest.mark.parametrize("number,at,expected", [
    ("12345", "2020-06-01T10:00+08:00", {"action": "queue", "queue": "q12345", "mode": "main"}),
    ("0513-80000201", "2020-07-27T10:00+08:00", {"action": "queue", "queue": "q12345", "mode": "sunset"}),
    ("0513-80000401", "2020-06-01T10:00", {"action": "dial", "destination": "051380002401", "mode": "parallel"}),
    ("0513-80000401", "2020-10-01T10:00", {"action": "queue", "queue": "q12345", "mode": "parallel"}),
    ("0513-80000304", "2020-10-01T10:00", {"action": "queue", "queue": "seat_water", "overflow_queue": "q12345"}),
    ("999", "2020-06-01T10:00", {"action": "queue", "queue": "q12345", "mode": "unknown"}),
])
def test_route_dry_run_json(number, at, expected):
    result = run("route", number, "--at", at, "--json", "--rules", str(RULES_FILE))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert {"action", "prompts", "department", "mode"} <= set(decision)
    assert {k: decision[k] for k in expected} == expected


def test_route_human_output_explains_why():
    result = run("route", "0513-80000201", "--at", "2020-08-01T10:00", "--rules", str(RULES_FILE))
    assert result.returncode == 0
    assert "retired on 2020-07-28" in result.stdout and "q12345" in result.stdout


def test_route_rejects_a_bad_time_clearly():
    result = run("route", "12345", "--at", "yesterday", "--rules", str(RULES_FILE))
    assert result.returncode == 2 and "not an ISO time" in result.stderr and "Traceback" not in result.stderr


def test_route_with_a_broken_rules_file_says_why(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\n", encoding="utf-8")
    result = run("route", "12345", "--rules", str(bad))
    assert result.returncode == 1 and "missing required key 'centre'" in result.stderr


def test_an_oversized_file_is_refused_at_once_with_the_limit(tmp_path, shipped_text):
    from ivr.rules_file import MAX_RULES_BYTES

    big = tmp_path / "rules.yaml"
    padding = "# " + "x" * 98 + "\n"
    big.write_text(shipped_text + padding * (50 * 1024 * 1024 // len(padding)), encoding="utf-8")  # 50 MB
    result = run("rules", "check", str(big))
    assert result.returncode == 1
    assert f"may be at most {MAX_RULES_BYTES:,} bytes" in result.stderr and str(big) in result.stderr
