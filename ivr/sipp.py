"""SIPp as the world around Asterisk: the carrier placing calls, agents and departments answering.

Real SIP user agents (Debian's ``sip-tester``, SIPp 3.6) driven by the XML scenarios in
``ivr/sipp_scenarios/``:

- :class:`Party` - a uas on a loopback port that answers (an agent's softphone, a department's
  line), is busy (486) or rings forever. Every call it sees is written to its log as
  ``answered|busy|ringing <Call-ID> <dialled user>``, which :meth:`Party.calls` reads back: that
  is how a test knows *which party* a call reached.
- :func:`place_calls` - the carrier (uac) calling a number, one call or a load at a rate, with
  SIPp's exit status and its statistics file (successful/failed calls, response times).

Used by the end-to-end tests, ``make demo`` and the benchmark. Every process started here is
stopped by its owner (``Party.stop`` / context manager; ``place_calls`` waits or kills).
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.processes import stop_process

SCENARIOS = Path(__file__).resolve().parent / "sipp_scenarios"
AUDIO = Path("/usr/share/sip-tester/g711a.pcap")  # A-law speech, shipped with sip-tester
DTMF_PCAP = Path("/usr/share/sip-tester/dtmf_2833_0.pcap")  # one file per key, 0..9
BEHAVIOURS = ("answer", "answer_hangup", "answer_silent", "busy", "no_answer")  # answer_hangup: the agent
# ends the call after 2 s; answer_silent: answers and sends no RTP

log = get_logger("ivr.sipp")


class SippError(IvrError):
    """SIPp is missing, or could not start or finish."""


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if not found:
        raise SippError("SIPp is not installed (Debian package sip-tester): bash tools/install-asterisk.sh")
    return found


@dataclass(frozen=True)
class PartyCall:
    outcome: str    # "answered", "busy" or "ringing"
    call_id: str
    dialled: str    # the user part of the INVITE's To header: the number Asterisk dialled
    caller: str = ""       # the user part of the From header: the number the phone shows
    caller_name: str = ""  # the From header's display name: what the agent's screen says


def _media_port(sip_port: int) -> int:
    # Above Asterisk's RTP range (rtp.conf, 10000-20000) and apart for each SIP port.
    return 30000 + (sip_port % 5000) * 4


class Party:
    """A SIPp uas on ``127.0.0.1:port`` behaving as ``behaviour`` (answer, busy, no_answer)."""

    def __init__(self, name: str, port: int, workdir: Path, behaviour: str = "answer",
                 host: str = "127.0.0.1", audio: Path = AUDIO, media_port: int | None = None) -> None:
        if behaviour not in BEHAVIOURS:
            raise SippError(f"unknown party behaviour {behaviour!r} (known: {', '.join(BEHAVIOURS)})")
        self.name, self.port, self.host, self.behaviour = name, port, host, behaviour
        self.workdir = Path(workdir)
        self.log_file = self.workdir / f"{name}.calls.log"
        self.err_file = self.workdir / f"{name}.errors.log"
        self.audio = audio
        self.media_port = media_port or _media_port(port)  # its RTP (and the next three ports)
        self._proc: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 5) -> "Party":
        if _udp_bound(self.host, self.port):  # else "ready" would be someone else's SIPp answering
            raise SippError(f"SIPp {self.name}: {self.host}:{self.port} is already taken by another program")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_file.write_text("")
        argv = [sipp_binary(), "-sf", str(SCENARIOS / f"{self.behaviour}.xml"),
                "-i", self.host, "-p", str(self.port), "-mp", str(self.media_port),
                "-key", "pcap", str(self.audio), "-nostdin", "-trace_logs",
                "-log_file", str(self.log_file), "-trace_err", "-error_file", str(self.err_file)]
        self._out = open(self.workdir / f"{self.name}.sipp.out", "wb")
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                      stderr=subprocess.STDOUT, cwd=self.workdir,
                                      start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:  # ready once its SIP port is bound
            if self._proc.poll() is not None:
                raise SippError(f"SIPp {self.name} exited at start ({self._proc.returncode}); see "
                                f"{self.workdir / (self.name + '.sipp.out')}")
            if _udp_bound(self.host, self.port):
                log.info("sipp.party_up", party=self.name, port=self.port, behaviour=self.behaviour)
                return self
            time.sleep(0.05)
        self.stop()
        raise SippError(f"SIPp {self.name} did not bind {self.host}:{self.port} within {ready_timeout} s")

    def calls(self) -> list[PartyCall]:
        """Every call this party has seen so far, in order."""
        out = []
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("answered", "busy", "ringing"):
                dialled = parts[2] if len(parts) > 2 else ""
                caller = parts[3] if len(parts) > 3 else ""
                name = " ".join(parts[4:]).strip().strip('"')
                out.append(PartyCall(parts[0], parts[1], dialled.removeprefix("sip:"),
                                     caller.removeprefix("sip:"), name))
        return out

    def answered(self) -> list[PartyCall]:
        return [c for c in self.calls() if c.outcome == "answered"]

    def wait_for(self, count: int = 1, outcome: str = "answered", timeout: float = 15) -> list[PartyCall]:
        """Wait until ``count`` calls with ``outcome`` were seen; return them (maybe fewer)."""
        deadline = time.monotonic() + timeout
        while True:
            seen = [c for c in self.calls() if c.outcome == outcome]
            if len(seen) >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        stop_process(proc)
        if getattr(self, "_out", None):
            self._out.close()

    def __enter__(self) -> "Party":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _udp_bound(host: str, port: int) -> bool:
    """True when something listens on UDP host:port (from /proc/net/udp, no packet sent)."""
    want = f"{_hex_ip(host)}:{port:04X}"
    try:
        with open("/proc/net/udp", encoding="ascii") as table:
            return any(row.split()[1] == want for row in list(table)[1:] if len(row.split()) > 1)
    except OSError:
        return False


def _hex_ip(host: str) -> str:
    parts = [int(p) for p in host.split(".")]
    return "".join(f"{p:02X}" for p in reversed(parts))


@dataclass
class CarrierResult:
    returncode: int              # SIPp's: 0 all calls succeeded, 1 some failed, other: error
    successful: int
    failed: int
    seconds: float
    stat_file: Path | None
    rtt_file: Path | None = None
    output: str = ""
    stats: dict = field(default_factory=dict)  # the last row of SIPp's statistics file

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.successful > 0


def place_calls(number: str, workdir: Path, *, asterisk: tuple[str, int] = ("127.0.0.1", 5060),
                caller: str = "13900000001", talk_ms: int = 3000, calls: int = 1,
                rate: float = 1.0, max_concurrent: int | None = None, local_port: int = 5070,
                timeout: float = 60, trace_rtt: bool = False, audio: Path = AUDIO,
                rating: int | None = None, local_host: str = "127.0.0.1",
                media_port: int | None = None) -> CarrierResult:
    """Play the carrier: place ``calls`` calls to ``number`` at ``rate`` per second, each talking
    ``talk_ms`` after the answer, and wait for SIPp to finish (killed after ``timeout`` s).

    With ``rating`` the caller instead stays on the line after the agent hangs up: ``talk_ms``
    after the answer it presses that key (RFC 2833) and waits for Asterisk to end the call.
    ``local_host`` is the address the carrier's SIP comes from (a loopback address of its own);
    ``media_port`` its RTP port (default: one derived from ``local_port``)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    tag = f"carrier-{local_port}-{int(time.time() * 1000)}"
    stat_file = workdir / f"{tag}.stat.csv"
    scenario = "carrier_call.xml" if rating is None else "carrier_rate.xml"
    argv = [sipp_binary(), f"{asterisk[0]}:{asterisk[1]}", "-sf", str(SCENARIOS / scenario),
            "-s", number, "-key", "dtmf", str(DTMF_PCAP.with_name(f"dtmf_2833_{rating if rating is not None else 0}.pcap")), "-key", "caller", caller, "-key", "pcap", str(audio),
            "-i", local_host, "-p", str(local_port), "-mp", str(media_port or _media_port(local_port)),
            "-m", str(calls), "-r", str(rate), "-d", str(talk_ms), "-nostdin",
            "-trace_stat", "-stf", str(stat_file), "-fd", "1",
            "-trace_err", "-error_file", str(workdir / f"{tag}.errors.log"),
            "-timeout", f"{int(timeout)}s", "-timeout_error"]
    if max_concurrent:
        argv += ["-l", str(max_concurrent)]
    rtt_file = None
    if trace_rtt:
        rtt_file = workdir / f"{tag}.rtt.csv"
        argv += ["-trace_rtt", "-rtt_freq", "1"]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              cwd=workdir, timeout=timeout + 15, check=False)
    except subprocess.TimeoutExpired:
        raise SippError(f"SIPp carrier calling {number} did not finish within {timeout + 15:g} s") from None
    seconds = time.monotonic() - started
    stats = _last_stats(stat_file)
    successful = int(stats.get("SuccessfulCall(C)", 0) or 0)
    failed = int(stats.get("FailedCall(C)", 0) or 0)
    if trace_rtt:
        found = sorted(workdir.glob("carrier_call_*_rtt.csv"))
        rtt_file = found[-1] if found else None
    log.info("sipp.carrier_done", number=number, calls=calls, successful=successful, failed=failed,
             returncode=done.returncode, seconds=round(seconds, 2))
    return CarrierResult(done.returncode, successful, failed, seconds, stat_file, rtt_file,
                         (done.stdout or "") + (done.stderr or ""), stats)


def _last_stats(path: Path) -> dict:
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as table:
            rows = list(csv.reader(table, delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))
