"""The FastAGI server over real sockets: routing, limits, hostile peers, hang-ups, reloads."""
from __future__ import annotations

import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support import CST, RULES_FILE, wait_until
from ivr.clock import make_clock
from ivr.agi.handlers import HANDLERS, AgiContext, StaticRules
from ivr.rules_watch import RulesWatcher
from ivr.agi.server import Limits
from ivr.agi.stats import AgiStats
from ivr.rules_file import load_rules

FAST = Limits(header_timeout=0.3, reply_timeout=0.3, session_timeout=2.0)
OFFICE_HOURS = "2026-03-10T10:00"  # a Tuesday, no holiday


@pytest.fixture
def context(shipped_rules):
    return AgiContext(rules=StaticRules(shipped_rules), clock=make_clock(OFFICE_HOURS, CST),
                      stats=AgiStats())


@pytest.fixture
def server(agi_server, context):
    return agi_server(HANDLERS, context, limits=FAST, stats=context.stats)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _wait_closed(sock: socket.socket, limit: float = 3.0) -> float:
    """Seconds until the server closes ``sock`` (reads and discards anything sent)."""
    started = time.perf_counter()
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return time.perf_counter() - started


# -- routing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("extension, expected", [
    ("12345", {"IVR_ACTION": "queue", "IVR_MODE": "main", "IVR_QUEUE": "q12345",
               "IVR_DEPARTMENT": "centre", "IVR_PROMPTS": "hotline/greeting"}),
    ("80000102", {"IVR_ACTION": "queue", "IVR_MODE": "forward", "IVR_LINE": "051380000102",
                  "IVR_DEPARTMENT_NAME": "交通运输局"}),
    ("+8651380000301", {"IVR_ACTION": "queue", "IVR_MODE": "dedicated",
                        "IVR_QUEUE": "seat_environment", "IVR_OVERFLOW_AFTER": "30",
                        "IVR_OVERFLOW_QUEUE": "q12345"}),
    ("99999", {"IVR_ACTION": "queue", "IVR_MODE": "unknown", "IVR_QUEUE": "q12345"}),
])
def test_route_writes_the_decision_in_one_command(server, peer, extension, expected):
    conv = peer.converse(server.port, peer.header(extension=extension))
    assert len(conv.commands) == 1 and conv.commands[0].startswith("EXEC MSet ")
    assert conv.closed_by_server
    assert {k: conv.variables[k] for k in expected} == expected
    assert set(conv.variables) == {
        "IVR_ACTION", "IVR_LINE", "IVR_MODE", "IVR_DEPARTMENT", "IVR_DEPARTMENT_NAME",
        "IVR_PROMPTS",
        "IVR_QUEUE", "IVR_OVERFLOW_AFTER", "IVR_OVERFLOW_QUEUE", "IVR_DESTINATION",
        "IVR_DIAL_TIMEOUT", "IVR_FALLBACK_QUEUE"}


def test_set_mode_writes_the_same_variables_one_command_each(agi_server, context, peer):
    mset = peer.converse(agi_server(HANDLERS, context, limits=FAST).port,
                         peer.header(extension="80000401"))
    single = peer.converse(agi_server(HANDLERS, context, limits=FAST, write_mode="set").port,
                           peer.header(extension="80000401"))
    assert len(single.commands) == 12
    assert all(c.startswith('SET VARIABLE "IVR_') for c in single.commands)
    assert single.variables == mset.variables
    assert mset.variables["IVR_ACTION"] == "dial"  # parallel line, department open


@pytest.mark.parametrize("head_values, channel, line", [
    ({"extension": "s", "arg_1": "80000102"}, {}, "051380000102"),          # argument first
    ({"extension": "s", "dnid": "80000103"}, {"IVR_LINE": "80000104"}, "051380000104"),  # IVR_LINE
    ({"extension": "s", "dnid": "80000103"}, {}, "051380000103"),           # then the DNID
])
def test_dialled_number_sources(server, peer, head_values, channel, line):
    conv = peer.converse(server.port, peer.header(**head_values), channel=channel)
    assert conv.variables["IVR_LINE"] == line


def test_sunset_line_follows_the_clock(agi_server, shipped_rules, peer):
    def call_at(iso: str) -> dict:
        ctx = AgiContext(rules=StaticRules(shipped_rules), clock=make_clock(iso, CST))
        return peer.converse(agi_server(HANDLERS, ctx, limits=FAST).port,
                             peer.header(extension="80000201")).variables

    before, after = call_at("2020-06-01T10:00"), call_at("2020-08-01T10:00+08:00")
    assert before["IVR_MODE"] == after["IVR_MODE"] == "sunset"
    assert before["IVR_ACTION"] == "queue" and before["IVR_PROMPTS"] == "hotline/sunset_notice_20200728"
    assert after["IVR_PROMPTS"] == "hotline/number_retired"
    assert after != before


def test_internal_error_writes_nothing(agi_server, peer):
    class Broken:
        @property
        def rules(self):
            raise RuntimeError("rules store exploded")

    stats = AgiStats()
    srv = agi_server(HANDLERS, AgiContext(rules=Broken(), stats=stats), limits=FAST, stats=stats)
    conv = peer.converse(srv.port, peer.header(extension="12345"))
    assert conv.commands == [] and conv.closed_by_server  # dialplan fail-safe: empty IVR_ACTION
    assert srv.snapshot()["counters"]["route_errors"] == 1


def test_unknown_script_is_closed_without_commands(server, peer):
    conv = peer.converse(server.port, peer.header(network_script="format_disk"))
    assert conv.commands == [] and conv.closed_by_server
    assert server.snapshot()["counters"]["unknown_script"] == 1


# -- hostile or broken peers -----------------------------------------------------------------

def test_connect_then_close_does_not_hurt(server, peer):
    for _ in range(20):
        _connect(server.port).close()
    conv = peer.converse(server.port, peer.header())
    assert conv.variables["IVR_ACTION"] == "queue" and conv.seconds < 0.5
    time.sleep(0.05)
    assert server.snapshot()["counters"]["closed_before_header"] == 20


def test_partial_header_then_silence_is_closed_after_the_header_timeout(server):
    with _connect(server.port) as sock:
        sock.sendall(b"agi_network: yes\nagi_network_scr")
        waited = _wait_closed(sock)
    assert FAST.header_timeout <= waited < FAST.header_timeout + 0.5
    assert server.snapshot()["counters"]["header_timeouts"] == 1


def test_oversized_header_is_refused_at_once(server):
    with _connect(server.port) as sock:
        try:
            sock.sendall(b"agi_x: " + b"A" * 100_000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        waited = _wait_closed(sock)
    assert waited < FAST.header_timeout
    assert server.snapshot()["counters"]["protocol_errors"] == 1


@pytest.mark.parametrize("raw", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x00\x01\x02\xff\n\n",
    b"agi_callerid: 1\nEXEC Dial PJSIP/evil\n\n",   # a newline-smuggled command in the header
])
def test_garbage_header_gets_no_command(server, raw):
    with _connect(server.port) as sock:
        sock.sendall(raw)
        sock.settimeout(2)
        assert sock.recv(4096) == b""


def test_non_utf8_caller_id_is_still_routed(server, peer):
    head = peer.header(extension="12345").replace(b"agi_calleridname: unknown",
                                                 b"agi_calleridname: Jos\xe9 \xff\xfe\xe5")
    assert peer.converse(server.port, head).variables["IVR_ACTION"] == "queue"


def test_hostile_caller_id_cannot_inject(agi_server, peer):
    """A handler that writes the caller's own text: it arrives as one value, quotes defused."""
    async def echo_caller(agi, ctx) -> None:
        await agi.set_variables({"CALLER_NAME": agi.env.get("calleridname"), "AFTER": "ok"})

    hostile = 'x" ,AFTER=pwned)(\\"\tEXEC Dial PJSIP/evil'
    for mode in ("mset", "set"):
        srv = agi_server({"route": echo_caller}, limits=FAST, write_mode=mode)
        conv = peer.converse(srv.port, peer.header(calleridname=hostile))
        assert conv.variables == {"CALLER_NAME": "x' ,AFTER=pwned)(/' EXEC Dial PJSIP/evil",
                                  "AFTER": "ok"}
        assert not any("Dial" in c and not c.startswith(("EXEC MSet", "SET VARIABLE"))
                       for c in conv.commands)


@pytest.mark.parametrize("dead_reply", [
    "HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
    "200 result=-1\n",
    "",   # the peer closes: EOF
    "HANGUP\n200 result=1\n",  # SET VARIABLE works on a dead channel, but we stop writing
])
def test_hangup_mid_script_stops_the_script(agi_server, context, peer, dead_reply):
    srv = agi_server(HANDLERS, context, limits=FAST, write_mode="set", stats=context.stats)
    conv = peer.converse(srv.port, peer.header(extension="12345"),
                         answer=lambda line, variables: dead_reply)
    assert len(conv.commands) == 1
    time.sleep(0.05)
    assert srv.snapshot()["outcomes"] == {"hangup": 1}
    # ... and the next call is served normally.
    assert len(peer.converse(srv.port, peer.header(extension="12345")).commands) == 12


def test_silent_peer_after_a_command_is_dropped_after_the_reply_timeout(server, peer):
    started = time.perf_counter()
    conv = peer.converse(server.port, peer.header(extension="12345"),
                         answer=lambda line, variables: _hold(FAST.reply_timeout + 1))
    assert len(conv.commands) == 1
    assert time.perf_counter() - started < FAST.reply_timeout + 1.5
    time.sleep(0.05)
    assert server.snapshot()["outcomes"] == {"timeout": 1}


def _hold(seconds: float) -> str:
    """Answer nothing for a while, then say nothing (the server should have hung up by then)."""
    time.sleep(seconds)
    return ""


def test_fifty_concurrent_calls_are_answered_while_others_stall(agi_server, context, peer):
    """Stalled peers hold their connection for the whole timeout (5 s here); the fifty calls
    beside them must not wait for it (well under it, whatever the machine's load)."""
    server = agi_server(HANDLERS, context, limits=Limits(header_timeout=5.0, reply_timeout=5.0,
                                                         session_timeout=10.0), stats=context.stats)
    stalled = [_connect(server.port) for _ in range(3)]
    stalled[0].sendall(b"agi_network: yes\n")          # half a header, then silence
    stalled[1].sendall(peer.header(extension="12345"))  # a header, but it never answers a command
    try:
        def one_call(i: int) -> tuple[float, dict]:
            conv = peer.converse(server.port, peer.header(extension="12345", uniqueid=f"170.{i}"))
            return conv.seconds, conv.variables

        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(one_call, range(50)))
    finally:
        for sock in stalled:
            sock.close()
    assert all(v["IVR_QUEUE"] == "q12345" for _, v in results)
    slowest = max(s for s, _ in results)
    assert slowest < 2.5, f"slowest call took {slowest:.3f}s while others were stalled for 5 s"


def test_connections_past_the_limit_are_closed_at_once(agi_server, context, peer):
    srv = agi_server(HANDLERS, context, limits=Limits(header_timeout=2.0, max_connections=2))
    held = [_connect(srv.port) for _ in range(2)]
    try:
        time.sleep(0.1)
        with _connect(srv.port) as extra:
            assert _wait_closed(extra) < 0.5
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.1)
    assert srv.snapshot()["counters"]["refused_busy"] == 1
    assert peer.converse(srv.port, peer.header()).variables["IVR_ACTION"] == "queue"


# -- rules reload ----------------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    """Replace the file the way an editor or a deploy does: write aside, then rename."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _wait_for(predicate, limit: float = 3.0) -> bool:
    return wait_until(predicate, limit, step=0.02)


def test_rules_reload_refuses_a_bad_file_and_takes_a_good_one(agi_server, tmp_path, peer):
    rules_file = tmp_path / "routing_rules.yaml"
    shutil.copy(RULES_FILE, rules_file)
    text = rules_file.read_text(encoding="utf-8")
    marker = "queue: seat_environment, overflow_queue: q12345, overflow_after: 30}"
    assert marker in text

    stats = AgiStats()
    watcher = RulesWatcher(rules_file, load_rules, interval=0.05,
                           on_change=lambda info: stats.set_rules(**info))
    ctx = AgiContext(rules=watcher, clock=make_clock(OFFICE_HOURS, CST), stats=stats)
    srv = agi_server(HANDLERS, ctx, limits=FAST, stats=stats)
    srv.add_background(watcher.run)

    def seat_timeout() -> str:
        conv = peer.converse(srv.port, peer.header(extension="80000301"))
        return conv.variables["IVR_OVERFLOW_AFTER"]

    assert seat_timeout() == "30"

    bad = marker.replace("overflow_after: 30", "overflow_after: banana")
    _write(rules_file, text.replace(marker, bad))
    assert _wait_for(lambda: watcher.failures == 1)
    assert seat_timeout() == "30"                     # the old rules stay in force
    assert srv.snapshot()["rules"]["last_error"]

    _write(rules_file, text.replace(marker, marker.replace("after: 30", "after: 45")))
    assert _wait_for(lambda: watcher.reloads == 1)
    assert seat_timeout() == "45"                     # the new rules are used
    assert srv.snapshot()["rules"]["last_error"] is None


def test_deleted_rules_file_keeps_the_rules(tmp_path, shipped_rules):
    rules_file = tmp_path / "r.yaml"
    shutil.copy(RULES_FILE, rules_file)
    watcher = RulesWatcher(rules_file, load_rules, interval=0.05)
    rules_file.unlink()
    assert watcher.check_now() is False
    assert len(watcher.rules.lines) == len(shipped_rules.lines)


# -- rating ----------------------------------------------------------------------------------

def test_there_is_no_rate_script_a_stranger_could_speak(agi_server, shipped_rules, peer):
    """Anyone on the machine can open a TCP connection and speak FastAGI: the engine offers no
    script that would store anything (the rating travels over AMI), so `rate` is unknown."""
    stats = AgiStats()
    srv = agi_server(HANDLERS, AgiContext(rules=StaticRules(shipped_rules), stats=stats),
                     limits=FAST, stats=stats)
    result = peer.converse(srv.port, peer.header(network_script="rate", arg_1="1", arg_2="1700.1"))
    assert result.commands == []
    # callback_check only reads: what a caller asking for a callback is told (tests/agi/test_callback_check.py)
    assert set(HANDLERS) == {"route", "callback_check", "selfcheck"}  # selfcheck: the service watchdog's, stores nothing
    time.sleep(0.05)
    assert srv.snapshot()["outcomes"].get("ok", 0) == 0


# -- stats -----------------------------------------------------------------------------------

def test_stats_count_calls_and_time_decisions(server, peer):
    for _ in range(5):
        peer.converse(server.port, peer.header(extension="12345"))
    time.sleep(0.05)
    snap = server.snapshot()
    assert snap["counters"]["calls"] == 5
    assert snap["scripts"] == {"route": 5} and snap["outcomes"] == {"ok": 5}
    assert snap["decision"]["count"] == 5
    assert 0 < snap["decision"]["p50_us"] <= snap["decision"]["p99_us"] < 50_000
    assert snap["session"]["count"] == 5


def test_an_oversized_rules_file_is_refused_by_the_running_engine(tmp_path, shipped_rules):
    from ivr.rules_file import MAX_RULES_BYTES

    rules_file = tmp_path / "r.yaml"
    shutil.copy(RULES_FILE, rules_file)
    watcher = RulesWatcher(rules_file, load_rules, interval=0.05)
    with rules_file.open("a") as fh:
        fh.write("#" * (MAX_RULES_BYTES + 1) + "\n")
    assert watcher.check_now() is False                  # refused: the rules in force stay
    assert len(watcher.rules.lines) == len(shipped_rules.lines)
    assert "may be at most" in (watcher.last_error or "")
