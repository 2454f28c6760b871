"""The classic AGI script's fast path: AGI over stdin/stdout, and each minute's decisions kept on disk.

A classic AGI script is a new Python process per call, and what it imports is what it costs:
profiled on 2026-12-05, the script took about 75 ms of CPU a call, and a call spent most of it
importing, not deciding: the interpreter's ``site`` with the editable install's path finder
(about 19 ms), pyst2 (about 23 ms: its ``pprint`` pulls in ``dataclasses``, ``inspect`` and
``ast``), the core's dataclasses and the settings (about 40 ms). At 10 calls a second that is
three quarters of a core; on the benchmark's two shared cores, with Asterisk and SIPp on them, the
processes queued for the CPU and a call waited seconds (4.4 s on 2026-11-29, 77 ms the day before
on a quieter box): the script was never slow at deciding, it was slow at starting.

So the script now starts bare (``python -I -S``) and this module, which imports only what the
interpreter has already loaded, does the call: it reads the AGI header, finds the dialled line
(:mod:`ivr.agi.dialled`, the same order as :func:`ivr.agi.calls.call_from_env`), and looks the
line up in ``<data_dir>/cache/decisions.txt``: the variables decided for it in this minute, under
these rules and this code. A routing decision depends on the line, the rules and the time only
(the caller is only logged), and no rule changes inside a minute, so a decision taken in a
minute holds for the whole minute; the first call of a line in each minute takes the full path
(the core, :func:`ivr.core.routing.decide`) and adds its answer, checked to be the same at the
minute's first and last instant. The cache's first line says what it is valid for: the rules
file's and the code's identities (inode, size, mtime) and the minute (or ``IVR_CLOCK``, which
fixes the time of every call), so an edited rules file or an upgraded engine is never answered
from a stale entry.

Values are written as they were sanitised on the full path (:func:`ivr.agi.protocol.sanitise`):
nothing a caller sends can end the quoted argument.
"""
from __future__ import annotations

import _signal  # signal's C half: the module itself imports enum, a cost on every call
import os
import sys
import time

from ivr.agi.decision_cache import log, lookup
from ivr.agi.dialled import looks_dialled

CACHE_NAME = "decisions.txt"  # under data_folder.rules_cache (imported only on the full path)
_CODE = ("core", "agi")       # folders of ivr/ whose code decides what a call is told


def read_header(stream) -> dict[str, str]:
    """The AGI environment Asterisk sends first: ``agi_x: value`` lines up to a blank line."""
    env: dict[str, str] = {}
    while True:
        raw = stream.readline()
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            return env
        key, sep, value = line.partition(":")
        if sep and key.startswith("agi_"):
            env[key[4:]] = value[1:] if value.startswith(" ") else value


class Channel:
    """The call's side of classic AGI: one command written, its ``200 result=`` line read.
    Asterisk tells a classic AGI of a hang-up with SIGHUP (no line on stdin): from then on
    nothing more is written, as pyst2 did."""

    def __init__(self, rd, wr) -> None:
        self.rd, self.wr = rd, wr
        self.hung_up = False
        _signal.signal(_signal.SIGHUP, self._sighup)

    def _sighup(self, signum, frame) -> None:
        self.hung_up = True

    def command(self, text: str) -> str:
        """Send one command; its reply. EOFError when Asterisk hung up or refused it."""
        if self.hung_up:
            raise EOFError("SIGHUP from Asterisk")
        self.wr.write(text.encode("utf-8") + b"\n")
        self.wr.flush()
        reply = self.rd.readline().decode("utf-8", "replace").rstrip("\r\n")
        if not reply.startswith("200 "):
            raise EOFError(reply or "the channel closed")
        return reply

    def get_variable(self, name: str) -> str:
        """The channel variable ``name`` ("" when unset), as pyst2's ``get_variable`` reads it."""
        reply = self.command(f'GET VARIABLE "{name}"')
        if " result=1 (" in reply and reply.endswith(")"):
            return reply[reply.index("(") + 1:-1]
        return ""

    def set_variable(self, name: str, value: str) -> None:
        self.command(f'SET VARIABLE "{name}" "{value}"')


def dialled_line(env: dict[str, str], ask) -> str:
    """The line called (``ask(name)`` reads a channel variable, only when the header does not tell)."""
    for source in (env.get("arg_1", ""), env.get("extension", "")):
        if looks_dialled(source):
            return source.strip()
    asked = ask("IVR_LINE")
    if asked and looks_dialled(asked):
        return asked.strip()
    dnid = env.get("dnid", "")
    return dnid.strip() if looks_dialled(dnid) else ""


def _stamp(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def identity(repo: str, rules_path: str, clock_text: str, now: float) -> str:
    """What a cached decision is valid for: these rules, this code, this minute (or IVR_CLOCK)."""
    code = []
    for folder in _CODE:
        base = os.path.join(repo, "ivr", folder)
        try:
            names = sorted(n for n in os.listdir(base) if n.endswith(".py"))
        except OSError:
            names = []
        code.extend(_stamp(os.path.join(base, n)) for n in names)
    code.append(_stamp(os.path.join(repo, "ivr", "dialplan_variables.py")))
    # a sum, not hash(): str hashes differ per process; any edit moves an mtime, so the sum
    code_id = f"{len(code)}.{sum(a * 3 + b * 7 + c for a, b, c in code)}"
    rules = ".".join(map(str, _stamp(rules_path)))
    when = f"clock={clock_text}" if clock_text else f"minute={int(now // 60)}"
    return f"rules={os.path.abspath(rules_path)}@{rules} code={code_id} {when}"


def now() -> float:
    return time.time()


def main(repo: str, stdin=None, stdout=None, full_path=None) -> int:
    """One call: the header, the line, the cached decision or the full path's, the variables."""
    rd = stdin or sys.stdin.buffer
    wr = stdout or sys.stdout.buffer
    env = read_header(rd)
    channel = Channel(rd, wr)
    uniqueid = env.get("uniqueid", "")
    try:
        line = dialled_line(env, channel.get_variable)
    except EOFError as err:
        log("hangup", uniqueid=uniqueid, detail=str(err))
        return 0
    rules_path = os.environ.get("IVR_RULES") or os.path.join(repo, "routing_rules.yaml")
    data_dir = os.environ.get("IVR_DATA_DIR") or os.path.join(repo, "var")
    clock_text = (os.environ.get("IVR_CLOCK") or "").strip()
    cache_file = os.path.join(data_dir, "cache", CACHE_NAME)
    moment = now()
    ident = identity(repo, rules_path, clock_text, moment)
    variables = lookup(cache_file, ident, line)
    how = "cached"
    if variables is None:
        how = "decided"
        if full_path is None:
            from ivr.agi.classic_full import decide_and_cache as full_path
        variables = full_path(line, env.get("callerid", ""), uniqueid, ident, cache_file, rules_path, data_dir,
                              moment)
        if variables is None:  # the full path logged why: write nothing, the dialplan's fail-safe takes it
            return 0
    try:
        for name, value in variables:
            channel.set_variable(name, value)
    except EOFError as err:
        log("hangup", uniqueid=uniqueid, detail=str(err))
        return 0
    fields = dict(variables)
    log("decided", uniqueid=uniqueid, line=line, action=fields.get("IVR_ACTION", ""),
        mode=fields.get("IVR_MODE", ""), queue=fields.get("IVR_QUEUE", ""),
        destination=fields.get("IVR_DESTINATION", ""), path=how)
    return 0
