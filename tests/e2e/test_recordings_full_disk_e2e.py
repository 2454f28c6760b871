"""The recordings' disk fills up during calls: no recording is lost in silence.

A lab Asterisk of its own, whose recordings folder is a 2 MB tmpfs mounted by the test before
Asterisk starts (Asterisk runs in a mount namespace that binds the folder in at its start), the
engine (`ivr serve`), and SIPp agents answering with audio (``play_pcap_audio``). Calls are
answered and recorded; while four of them talk the test fills the disk, and frees it after they
have hung up. Then, read back as staff would:

* every order of a call that talked while the disk was full is flagged (short or empty, with
  the talk time, the seconds recorded and the bytes), and ``ivr recordings verify`` exits 1
  naming each of them;
* the orders of calls before and after are complete, not flagged, their Opus listed and their WAV
  removed;
* ``ivr tickets intake`` showed the disk low while it was full, and shows the flags;
* after the sweep (``ivr recordings clean``) no ``.opus.part`` is left, nor anything unlisted.

Needs root (mount). The tmpfs is unmounted in a ``finally``.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from e2e.asterisk_lab import _OFFSET, settings_for, with_session
from e2e.engine_process import IVR, engine_env, running_engine
from ivr.asterisk import service
from ivr.ami import queues as ami
from ivr.asterisk.site import write_lab_trunks
from ivr.core.recording_check import tolerance
from ivr.rules_file import load_rules
from ivr.sipp import Party, place_calls
from ivr.store import open_store, policy_for
from support import wait_until

pytestmark = pytest.mark.asterisk

# A band of its own beside the session's lab (5160..) and the softphones' lab (4740..)
AMI_PORT, AGI_PORT, SIP_PORT = 4800 + _OFFSET, 4801 + _OFFSET, 4802 + _OFFSET
DEPARTMENT_PORT, CARRIER_PORT, AGENT_PORT_BASE = 4803 + _OFFSET, 4804 + _OFFSET, 4810 + _OFFSET
RTP = (20000 + 20 * _OFFSET + 1000, 20000 + 20 * _OFFSET + 1998)
AGENTS = ("agent1", "agent2", "agent3", "agent4")   # the general queue's agents
DISK = "2m"
WRAPUP_S = 5    # routing_rules.yaml: an agent takes no call for 5 s after the last one


class DiskLab:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.settings = settings_for(base, AMI_PORT, AGI_PORT)
        self.rules = load_rules(self.settings.rules_path)
        self.database = f"sqlite:///{base / 'tickets.sqlite3'}"
        self.env = engine_env(self.settings, self.database, IVR_RECORDINGS_MIN_FREE_MB="1")

    @property
    def recordings(self) -> Path:
        return self.settings.recordings_dir

    def staff(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([IVR, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def calls(self, callers: list[str], talk_ms: int = 9000) -> tuple[list[threading.Thread], list]:
        """Place the calls at once, each from a carrier port of its own: (threads to join, results)."""
        results: list = [None] * len(callers)

        def one(index: int, caller: str) -> None:
            results[index] = place_calls("12345", self.base / "sipp", asterisk=("127.0.0.1", SIP_PORT),
                                         caller=caller, talk_ms=talk_ms, local_port=CARRIER_PORT + 20 + index,
                                         timeout=60, media_port=free_media_port())
        threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(callers)]
        for thread in threads:
            thread.start()
        return threads, results


@pytest.fixture
def disk_lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system for the recordings needs root")
    lab = DiskLab(tmp_path)
    lab.recordings.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0750", "ivr-test-recordings",
                    str(lab.recordings)], check=True, timeout=30)
    try:
        trunks = write_lab_trunks(tmp_path / "trunks", sip_port=SIP_PORT, rtp=RTP, department_port=DEPARTMENT_PORT,
                                  agent_ports={a: AGENT_PORT_BASE + int(a[5:]) for a in lab.rules.agents},
                                  carrier_port=CARRIER_PORT)
        try:
            service.up(lab.settings, trunks)
            asyncio.run(with_session(lab.settings, lambda s: _login(s, lab.rules)))
            yield lab
        finally:
            service.down(lab.settings)
    finally:
        done = subprocess.run(["umount", str(lab.recordings)], capture_output=True, timeout=30)
        if done.returncode != 0:  # something still holds it: detach it now, it goes when released
            subprocess.run(["umount", "-l", str(lab.recordings)], timeout=30)


async def _login(session, rules) -> None:
    for agent in AGENTS:
        await ami.login(session, rules, agent)


def free_media_port() -> int:
    """Four free UDP ports in a row for a SIPp party's RTP, from the kernel's ephemeral range:
    the fixed ones (30000 and up) fall inside the RTP ranges of other Asterisks on a shared
    machine, which made SIPp fail to start when one of them was busy."""
    import socket

    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1] & ~3
        held = []
        try:
            for port in range(base, base + 4):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no four free UDP ports in a row")


def fill(folder: Path) -> Path:
    """Write a file until the disk refuses another byte."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as out:
        block = b"\0" * 4096
        try:
            while True:
                out.write(block)
        except OSError:
            pass
        try:
            while True:
                out.write(b"\0")
        except OSError:
            pass
    return filler


def encoders_at_work(folder: Path) -> bool:
    """True while an opusenc started by Asterisk's MixMonitor is compressing a file in ``folder``."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"opusenc") and any(str(folder).encode() in arg for arg in argv):
            return True
    return False


def orders_of(lab: DiskLab) -> dict[str, dict]:
    """caller -> the order's fields and its recording check, read from the engine's database."""
    store = open_store(lab.database, policy_for(lab.rules))
    try:
        out = {}
        for ticket in store.list(limit=1000):
            check = store.recording_check(ticket.number)
            out[ticket.caller] = {"ticket": ticket, "check": check}
        return out
    finally:
        store.close()


def test_recordings_cut_by_a_full_disk_are_flagged_and_leftovers_swept(disk_lab, tmp_path):
    lab = disk_lab
    before, during, after = ["13955550001", "13955550002"], [f"1395555010{n}" for n in range(4)], \
        ["13955550201", "13955550202"]
    agents = [Party(a, AGENT_PORT_BASE + int(a[5:]), tmp_path / "sipp", media_port=free_media_port()).start()
              for a in AGENTS]
    filler = None
    try:
        with running_engine(lab.settings, tmp_path / "engine.log", database_url=lab.database,
                            IVR_RECORDINGS_MIN_FREE_MB="1") as engine:
            threads, results = lab.calls(before)
            for thread in threads:
                thread.join(90)
            assert all(r is not None and r.ok for r in results), [r and r.output[-1500:] for r in results]
            assert engine.wait_for("ledger.recording", count=2, timeout=30), engine.log()[-4000:]
            time.sleep(WRAPUP_S + 1)  # the agents' wrap-up after those calls, so the next are answered at once

            answered = sum(len(a.answered()) for a in agents)
            threads, results = lab.calls(during)
            deadline = time.monotonic() + 30
            while sum(len(a.answered()) for a in agents) < answered + len(during) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sum(len(a.answered()) for a in agents) == answered + len(during)
            time.sleep(1.0)  # a second of each conversation reaches the disk
            filler = fill(lab.recordings)
            low = json.loads(lab.staff("tickets", "intake", "--json").stdout)["recordings"]["disk"]
            assert low["low"] is True and low["free_bytes"] < 1 << 20, low
            for thread in threads:
                thread.join(90)
            assert all(r is not None and r.ok for r in results), [r and r.output[-1500:] for r in results]
            # the recordings close and their compression runs, and fails, on the full disk
            assert wait_until(lambda: len(list(lab.recordings.rglob("*.opus.part"))) == len(during)
                              and not encoders_at_work(lab.recordings), timeout=30)
            filler.unlink()
            filler = None

            time.sleep(WRAPUP_S + 1)
            threads, results = lab.calls(after)
            for thread in threads:
                thread.join(90)
            assert all(r is not None and r.ok for r in results), [r and r.output[-1500:] for r in results]
            assert engine.wait_for("ledger.recording", count=8, timeout=120), engine.log()[-6000:]
            engine_log = engine.log()
    finally:
        for agent in agents:
            agent.stop()
        if filler is not None:
            filler.unlink(missing_ok=True)

    orders = orders_of(lab)
    assert sorted(orders) == sorted(before + during + after), sorted(orders)
    for caller in before + after:
        ticket, check = orders[caller]["ticket"], orders[caller]["check"]
        assert check.verdict == "complete", (caller, check)
        assert ticket.recording_path.endswith(".opus") and not Path(ticket.recording_path).with_suffix(".wav").exists()
        assert check.talk_seconds is not None and check.talk_seconds >= 3, check  # AgentComplete's talk time
        assert check.recorded_seconds >= check.talk_seconds - tolerance(check.talk_seconds)
    flagged = {}
    for caller in during:
        ticket, check = orders[caller]["ticket"], orders[caller]["check"]
        assert check.verdict in ("short", "empty"), (caller, check)
        assert check.talk_seconds >= 3 and (check.recorded_seconds or 0) < check.talk_seconds - 2, check
        assert ticket.recording_sha256 and ticket.recording_size == check.size   # listed as it is, flagged
        flagged[ticket.number] = check
    assert "recording_flagged" in engine_log and "ledger.compression_failed" in engine_log
    assert "intake.set_aside" not in engine_log   # every fact of every call was taken in

    verify = lab.staff("recordings", "verify")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    for number, check in flagged.items():
        assert f"flagged: {number}: {check.reason}" in verify.stdout, verify.stdout
    for caller in before + after:
        assert orders[caller]["ticket"].number not in verify.stdout
    assert ".opus.part: an unfinished compression" in verify.stdout   # left by the failed compressions

    intake = json.loads(lab.staff("tickets", "intake", "--json").stdout)["recordings"]
    assert intake["flagged_count"] == len(during) and intake["disk"]["low"] is False
    assert {f["number"] for f in intake["flagged"]} == set(flagged)

    clean = lab.staff("recordings", "clean")
    assert clean.returncode == 0 and "removed:" in clean.stdout, clean.stdout + clean.stderr
    assert list(lab.recordings.rglob("*.opus.part")) == []
    report = json.loads(lab.staff("recordings", "verify", "--json").stdout)
    assert report["leftovers"] == [] and report["unlisted"] == [] and report["missing"] == [] \
        and report["altered"] == [] and report["problems"] == [], report
    assert len(report["flagged"]) == len(during) and report["ok"] is False
