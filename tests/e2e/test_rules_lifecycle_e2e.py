"""The rules' lifecycle end to end: the real Asterisk, SIPp, the engine (``ivr serve``) and the
admin's own commands (``ivr rules preview|apply|rollback|history``), on a copy of the shipped rules.

While two calls are in progress (one talking to a department's own line, one to a 12345 agent)
the admin moves the justice line from parallel to forward and gives the general queue a new
agent, agent9: the calls in progress end normally, new calls follow the new rule, agent9 takes
calls. The preview run before the change, on the calls the engine had really routed, names
exactly the calls that routing then sends elsewhere. A broken file is refused and routing goes
on; a rollback Asterisk cannot take (agent9's phone is still in the site file) is refused, then
done; the history shows every step with its author. Last, a caller to a sunset line hears the
Mandarin notice that names the line's retirement date.

The engine and the commands run on the pretend clock of a Monday morning (offices open).
"""
from __future__ import annotations

import json
import os
import pwd
import subprocess
import threading
import time

import pytest
from e2e.asterisk_lab import CARRIER_PORT, SIP_PORT, Lab, write_trunks
from e2e.engine_process import IVR, engine_env, running_engine, skip_queue_log_history
from e2e.routing_watch import Playbacks

from ivr import data_folder
from ivr.spool import Spool
from ivr.asterisk import service
from ivr.prompts.library import PromptLibrary
from ivr.asterisk.layout import Layout
from ivr.rules_file import digest
from ivr.settings import REPO_ROOT
from ivr.sipp import place_calls
from ivr.store.engine import open_engine

pytestmark = pytest.mark.asterisk

CLOCK = "2020-06-01T10:00"
ME = pwd.getpwuid(os.getuid()).pw_name
PARALLEL_401 = '''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}'''
FORWARD_401 = '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}'''
AGENT8 = "  agent8: {name: County Water Company seat, queues: [seat_water]}"
AGENT9 = AGENT8 + "\n  agent9: {name: 12345 agent 9, queues: [q12345]}"


@pytest.fixture
def admin_lab(clean_queues: Lab, tmp_path):
    """The lab's Asterisk on a copy of the shipped rules, the commands' environment, and, after
    the test, the lab as it was (shipped rules, trunk files, nobody logged in)."""
    lab = clean_queues
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text((REPO_ROOT / "routing_rules.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    env = engine_env(lab.settings, database, IVR_RULES=str(rules), IVR_TRUNKS=str(lab.trunks), IVR_CLOCK=CLOCK)
    skip_queue_log_history(lab.settings)
    spool = Spool(data_folder.call_log(lab.settings.data_dir))  # earlier tests' calls are not this test's
    if pending := spool.pending():
        spool.commit(pending[-1].end)
    try:
        yield lab, rules, env, database
    finally:
        lab.logout("agent1", "agent2")
        write_trunks(lab.trunks, SIP_PORT, lab.rules.agents)
        service.reload(lab.settings, lab.trunks)  # the shipped rules again, agent9 gone


def ivr(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=120)


class Caller(threading.Thread):
    """A call in progress: places it and keeps the SIPp result (its own carrier port)."""

    def __init__(self, lab: Lab, number: str, caller: str, talk_ms: int, port: int) -> None:
        super().__init__(daemon=True)
        self.lab, self.number, self.caller, self.talk_ms, self.port = lab, number, caller, talk_ms, port
        self.result = None

    def run(self) -> None:
        self.result = place_calls(self.number, self.lab.workdir / "sipp", asterisk=("127.0.0.1", SIP_PORT),
                                  caller=self.caller, talk_ms=self.talk_ms, local_port=self.port, timeout=60)


MINE = "1390012"  # this test's callers (another lab on the machine may ring a port of ours)


def answered(party) -> list[str]:
    """This test's callers a SIPp party answered, in order."""
    return [c.caller for c in party.answered() if c.caller.startswith(MINE)]


def routes_by_caller(database: str) -> dict[str, list[tuple[str, str]]]:
    """(rules SHA-256, route) of every call the engine logged, per caller, in order."""
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT caller, rules_sha256, route FROM routed_calls ORDER BY at, id").all()
    finally:
        engine.dispose()
    out: dict[str, list[tuple[str, str]]] = {}
    for caller, sha, route in rows:
        out.setdefault(caller, []).append((sha, route))
    return out


def test_change_preview_apply_refuse_rollback_with_calls_in_progress(admin_lab, tmp_path):
    lab, rules, env, database = admin_lab
    old_text = rules.read_text(encoding="utf-8")
    new_text = old_text.replace(PARALLEL_401, FORWARD_401).replace(AGENT8, AGENT9)
    new = tmp_path / "new.yaml"
    new.write_text(new_text, encoding="utf-8")
    lab.login("agent1")
    # the site gives agent9 a phone (its static contact in the lab) before the rules name agent9
    write_trunks(lab.trunks, SIP_PORT, [*lab.rules.agents, "agent9"])

    with running_engine(lab.settings, tmp_path / "engine.log", database_url=database, **{
            k: env[k] for k in ("IVR_RULES", "IVR_CLOCK")}) as engine, \
            lab.department_line("answer") as department, lab.agent("agent1") as agent1, \
            lab.agent("agent9") as agent9:
        # 1. calls routed under the rules in force
        first = [("0513-80000401", "13900120001", 3000), ("80000401", "13900120002", 3000),
                 ("12345", "13900120003", 6000), ("0513-80000402", "13900120004", 3000)]
        for number, caller, talk in first:
            result, _ = lab.call(number, talk_ms=talk, caller=caller)
            assert result.ok, result.output[-2000:]
        assert answered(department) == ["13900120001", "13900120002", "13900120004"]
        assert answered(agent1) == ["13900120003"]

        # 2. two calls in progress: one with the justice department, one with agent1
        in_progress = [Caller(lab, "0513-80000401", "13900120005", 30000, CARRIER_PORT + 1),
                       Caller(lab, "12345", "13900120006", 30000, CARRIER_PORT + 2)]
        for call in in_progress:
            call.start()
        deadline = time.monotonic() + 20
        while ("13900120005" not in answered(department) or "13900120006" not in answered(agent1)) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "13900120005" in answered(department) and "13900120006" in answered(agent1)

        # 3. the preview on the calls the engine really routed
        preview = ivr(env, "rules", "preview", str(new), "--json")
        assert preview.returncode == 0, preview.stderr
        replay = json.loads(preview.stdout)["replay"]
        assert replay["calls"] == 6
        named = {c["caller"] for c in replay["changed"]}
        assert named == {"13900120001", "13900120002", "13900120005"}
        assert {(c["from"], c["to"]) for c in replay["changed"]} == {("dial:051380002401>q12345", "queue:q12345")}

        # 4. apply while both calls are in progress
        applied = ivr(env, "rules", "apply", str(new), "-m", "法律服务热线改由12345接听；agent9加入综合坐席")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        sha = digest(new_text)
        for part in ("routing", "work_orders", "asterisk"):
            [row] = [l for l in applied.stdout.splitlines() if l.strip().startswith(part)]
            assert "follows" in row and sha[:12] in row, applied.stdout
        assert "9 agents' endpoints" in applied.stdout
        for call in in_progress:
            call.join(60)
            assert call.result.ok, call.result.output[-2000:]   # not dropped: each caller hung up itself
            assert call.result.seconds > 29

        # 5. new calls follow the new rule; agent9 (new) takes the 12345 queue's calls
        lab.logout("agent1")
        assert ivr(env, "agents", "login", "agent9").returncode == 0  # from agent9's phone, as any agent
        second = [("0513-80000401", "13900120001"), ("80000401", "13900120002"), ("12345", "13900120003"),
                  ("0513-80000402", "13900120004"), ("0513-80000401", "13900120005"), ("12345", "13900120006")]
        for number, caller in second:
            talk = 3000 if number.endswith("402") else 11000  # greeting, agent9's wrap-up, then a word
            result, _ = lab.call(number, talk_ms=talk, caller=caller)
            assert result.ok, result.output[-2000:]
        assert answered(agent9) == ["13900120001", "13900120002", "13900120003", "13900120005", "13900120006"]
        assert answered(department)[-1] == "13900120004"
        assert engine.wait_for("intake.applied", timeout=5)

        # what routing did before and after, from the engine's own call log: the preview named exactly
        # the calls whose route changed
        routes = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            routes = routes_by_caller(database)
            if all(len(routes.get(c, [])) == 2 for _, c in second):
                break
            time.sleep(0.5)
        moved = {caller for caller, seen in routes.items() if len(seen) == 2 and seen[0][1] != seen[1][1]}
        assert moved == named
        assert {seen[1][0] for seen in routes.values()} == {sha}

        # 6. a broken file is refused; routing goes on under the version in force
        broken = tmp_path / "broken.yaml"
        broken.write_text(new_text.replace("queue: seat_water, overflow_queue", "queue: seat_wter, overflow_queue"),
                          encoding="utf-8")
        refused = ivr(env, "rules", "apply", str(broken), "-m", "typo")
        assert refused.returncode == 1 and "unknown queue 'seat_wter'" in refused.stderr
        assert "nothing was changed" in refused.stderr
        result, _ = lab.call("0513-80000401", talk_ms=11000, caller="13900120007")
        assert result.ok and answered(agent9)[-1] == "13900120007"
        assert rules.read_text(encoding="utf-8") == new_text

        # 7. roll back: refused while the site still gives agent9 a phone, done once it does not
        assert ivr(env, "agents", "logout", "agent9").returncode == 0
        lab.login("agent1")
        blocked = ivr(env, "rules", "rollback", "-m", "back to the department's own line")
        assert blocked.returncode == 1 and "no agent 'agent9' in the routing rules" in blocked.stderr
        write_trunks(lab.trunks, SIP_PORT, lab.rules.agents)
        rolled = ivr(env, "rules", "rollback", "-m", "back to the department's own line")
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        assert digest(old_text)[:12] in rolled.stdout and "8 agents' endpoints" in rolled.stdout
        result, _ = lab.call("0513-80000401", talk_ms=3000, caller="13900120008")
        assert result.ok and answered(department)[-1] == "13900120008"

    # 8. the history: every version and refusal, with its author
    history = json.loads(ivr(env, "rules", "history", "--json").stdout)
    assert [(v["number"], v["author"], v["action"]) for v in history["versions"]] == [
        (3, ME, "rollback"), (2, ME, "apply"), (1, "edited on disk", "disk")]
    assert history["versions"][1]["message"] == "法律服务热线改由12345接听；agent9加入综合坐席"
    assert {(e["actor"], e["action"], e["message"]) for e in history["refused"]} == {
        (ME, "apply", "typo"), (ME, "rollback", "back to the department's own line")}
    print("\n" + ivr(env, "rules", "history").stdout)


def test_a_caller_to_a_sunset_line_hears_the_mandarin_notice_with_its_date(clean_queues, tmp_path):
    lab = clean_queues
    playbacks = Playbacks(lab).start()
    lab.login("agent2")
    try:
        mark = playbacks.mark()
        with running_engine(lab.settings, tmp_path / "engine.log", IVR_CLOCK=CLOCK), lab.agent("agent2") as agent2:
            result, hangup = lab.call("0513-80000201", talk_ms=12000, caller="13900120201")
            assert result.ok, result.output[-2000:]
            assert [c.caller for c in agent2.wait_for(1, timeout=5)] == ["13900120201"]
        played = playbacks.played_since(mark)
    finally:
        playbacks.stop()
        lab.logout("agent2")
    assert played == ["hotline/sunset_notice_20200728"]
    assert hangup["vars"]["IVR_MODE"] == "sunset"
    entry = PromptLibrary(Layout.from_settings(lab.settings).sounds).entries()["hotline/sunset_notice_20200728"]
    assert (entry.source, entry.voice) == ("stand-in", "cmn-latn-pinyin")  # espeak-ng's Mandarin voice
    assert "2020年7月28日" in entry.text
    print(f"\nplayed {played[0]} ({entry.seconds} s, {entry.source}, sha256 {entry.sha256[:12]}): {entry.text}")
