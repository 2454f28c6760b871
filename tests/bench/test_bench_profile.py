"""The profile's arithmetic: py-spy's raw stacks summed per function; Asterisk's task processors."""
from __future__ import annotations

import time

from ivr.bench.profile import summarise, taskprocessors

RAW = """\
<module> (ivr:8);run (asyncio/runners.py:190);_converse (ivr/agi/server.py:280);route (ivr/agi/handlers.py:70) 30
<module> (ivr:8);run (asyncio/runners.py:190);_converse (ivr/agi/server.py:281);parse_header (ivr/agi/protocol.py:90) 10
_bootstrap (threading.py:995);_run (ivr/agi/call_log.py:120);append_lines (ivr/ami/spool.py:133) 60
not a stack line
"""


def test_stacks_are_summed_per_function_inclusive_and_self():
    doc = summarise(RAW)
    assert doc["samples"] == 100
    inclusive = {r["function"]: r["percent"] for r in doc["inclusive"]}
    assert inclusive["_converse (server.py)"] == 40.0      # two lines of one function, once each
    assert inclusive["append_lines (spool.py)"] == 60.0
    assert doc["self"][0] == {"function": "append_lines (spool.py)", "percent": 60.0}


def test_nothing_sampled_is_an_empty_summary_not_a_division_by_zero():
    assert summarise("") == {"samples": 0, "rate_hz": 100, "inclusive": [], "self": []}


def test_the_deepest_task_processor_queues_come_first():
    text = """
Processor                                                               Processed   In Queue  Max Depth  Low water High water
stasis/m:manager:core-00000006                                             120345          0       2311        450        500
stasis/p:channel:all-0000001a                                               98000          2         87        450        500
pjsip/distributor-00000010                                                   5000          0          3        450        500

3 taskprocessors
"""
    rows = taskprocessors(text)
    assert [r["name"] for r in rows] == ["stasis/m:manager:core-00000006", "stasis/p:channel:all-0000001a",
                                         "pjsip/distributor-00000010"]
    assert rows[0] == {"name": "stasis/m:manager:core-00000006", "processed": 120345, "in_queue": 0,
                       "max_depth": 2311}


def test_the_fastagi_client_drives_a_real_server_and_reads_its_cpu(tmp_path):
    """The minimal server in a process of its own, driven by the benchmark's FastAGI client."""
    import socket

    from ivr.bench import agi_cpu
    from ivr.bench.minimal_agi import MinimalServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = MinimalServer(port, tmp_path / "stats", tmp_path / "log").start()
    try:
        cost = agi_cpu.measure(port, "minimal", server.proc.pid, sessions=300, concurrency=5)
        assert cost.sessions == 300 and cost.commands_per_session == 1.0   # one SET VARIABLE each
        assert cost.cpu_us_per_session >= 0
        deadline = time.monotonic() + 5
        while server.calls() < 500 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.calls() == 500   # 200 warm-up sessions and the 300 measured, each counted
    finally:
        server.stop()


def test_the_deepest_queue_of_ami_s_router_among_the_task_processors():
    from ivr.bench.profile import manager_depth

    text = """
Processor                                                               Processed   In Queue  Max Depth  Low water High water
stasis/m:manager:core-00000006                                             120345          0       2311        450        500
stasis/m:manager:core-0000000c                                               1200          0         14        450        500
stasis/p:channel:all-0000001a                                               98000          2       9087        450        500
"""
    assert manager_depth(text) == 2311
    assert manager_depth("") is None
