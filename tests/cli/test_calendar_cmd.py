"""The holiday calendar on the command line: ``ivr route`` and ``ivr rules show|calendar`` mark a
provisional day, ``ivr rules check`` warns from 60 days before a year without a confirmed list
(exit 0), by the project's clock (``IVR_CLOCK``)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO, RULES_FILE

IVR = str(Path(sys.executable).with_name("ivr"))
# the prompts are not what these tests look at: no Asterisk, so the check only says so
NO_ASTERISK = {"IVR_ASTERISK_CACHE": "/nonexistent/asterisk"}


def run(*args: str, clock: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **NO_ASTERISK}
    env.pop("IVR_CLOCK", None)
    if clock:
        env["IVR_CLOCK"] = clock
    return subprocess.run([IVR, *args], capture_output=True, text=True, cwd=REPO, timeout=60, env=env)


def confirmed_2027(tmp_path) -> Path:
    text = RULES_FILE.read_text(encoding="utf-8").replace(
        "\nworkdays:\n", "\n  - {name: New Year's Day 2027, from: 2027-01-01, to: 2027-01-03}\nworkdays:\n", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("clock,warned", [
    ("2026-11-01T10:00", False),   # 61 days before 2027
    ("2026-11-02T10:00", True),    # 60 days before
    ("2026-12-04T10:00", True),
    ("2027-03-01T10:00", True),    # 2027 itself is provisional
    ("2026-06-01T10:00", False),
])
def test_check_warns_from_60_days_before_a_year_without_a_confirmed_list(clock, warned):
    result = run("rules", "check", str(RULES_FILE), clock=clock)
    assert result.returncode == 0, result.stderr
    assert "OK: 31 lines" in result.stdout
    lines = [l for l in result.stderr.splitlines() if l.startswith("warning:")]
    if warned:
        [line] = lines
        assert "2027" in line and "provisional" in line and "holiday" in line
    else:
        assert lines == []


def test_no_warning_once_the_year_is_confirmed(tmp_path):
    result = run("rules", "check", str(confirmed_2027(tmp_path)), clock="2026-12-04T10:00")
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stdout + result.stderr
    # a confirmed list that leaves out the law's own days is used as it is, with a notice naming them
    [notice] = [l for l in result.stderr.splitlines() if "statutory" in l]
    assert notice.startswith("notice: the confirmed holidays of 2027 leave out")
    assert "2027-02-05 (Spring Festival)" in notice and "2027-10-03 (National Day)" in notice


def test_route_on_2027_new_years_day_says_closed_provisional_and_goes_to_12345():
    result = run("route", "0513-80000401", "--at", "2027-01-01T10:00", "--rules", str(RULES_FILE))
    assert result.returncode == 0, result.stderr
    assert "action      queue" in result.stdout and "queue       q12345" in result.stdout
    assert "department closed, public holiday (New Year's Day 2027" in result.stdout
    assert "provisional" in result.stdout
    decision = json.loads(run("route", "0513-80000401", "--at", "2027-01-01T10:00", "--json",
                              "--rules", str(RULES_FILE)).stdout)
    assert (decision["action"], decision["queue"]) == ("queue", "q12345")
    assert decision["calendar"] == {"day": "2027-01-01", "working": False, "holiday": "New Year's Day 2027",
                                    "workday": False, "provisional": True, "source": "statutory"}


def test_route_on_a_confirmed_day_says_confirmed(tmp_path):
    decision = json.loads(run("route", "0513-80000401", "--at", "2027-01-01T10:00", "--json",
                              "--rules", str(confirmed_2027(tmp_path))).stdout)
    assert decision["calendar"]["provisional"] is False and decision["calendar"]["source"] == "confirmed"
    assert "provisional" not in decision["reason"]


def test_route_without_at_is_decided_at_the_projects_clock():
    result = run("route", "0513-80000401", "--rules", str(RULES_FILE), clock="2027-10-01T10:00")
    assert "call to 0513-80000401 at 2027-10-01T10:" in result.stdout
    assert "National Day 2027" in result.stdout


def test_show_lists_this_year_and_the_next_marking_the_provisional_one():
    result = run("rules", "show", str(RULES_FILE), clock="2026-12-04T10:00")
    assert result.returncode == 0, result.stderr
    calendar = result.stdout.split("holiday calendar (today 2026-12-04", 1)[1]
    assert "2026  confirmed" in calendar and "2027  PROVISIONAL" in calendar
    assert "2027-10-01..2027-10-05  holiday  National Day 2027  (provisional)" in calendar
    assert "2026-10-01..2026-10-07  holiday  National Day 2026\n" in calendar
    assert "warning: no confirmed holiday calendar for 2027" in result.stderr


def test_calendar_compares_confirmed_years_with_the_library():
    result = run("rules", "calendar", "2020", "2026", "2027", "--rules", str(RULES_FILE), clock="2026-12-04T10:00")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("no difference") == 2
    data = json.loads(run("rules", "calendar", "2027", "--json", "--rules", str(RULES_FILE),
                          clock="2026-12-04T10:00").stdout)
    [year] = data["years"]
    assert (year["year"], year["confirmed"]) == (2027, False)
    assert all(r["provisional"] for r in year["runs"]) and len(year["runs"]) == 7
    assert data["warning"] == {"year": 2027, "days_left": 28, "text": data["warning"]["text"]}
