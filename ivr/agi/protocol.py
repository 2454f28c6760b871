"""The AGI wire protocol, pure: parse what Asterisk sends, format what we send back.

No sockets, no clock: the FastAGI server (:mod:`ivr.agi.server`) and the classic AGI scripts
(``agi_scripts/``) both build on these functions, and the tests feed them bytes directly.

What Asterisk sends first is the *environment header*: lines ``agi_<name>: <value>`` ended by an
empty line. It carries untrusted text (the caller ID comes from the carrier), so it is parsed
with bounds on size and line count and decoded leniently (invalid UTF-8 becomes U+FFFD).

Every command answer is one line ``<code> <text>``::

    200 result=1                       success
    200 result=1 (value) endpos=1234   success with data in parentheses and extra key=values
    200 result=-1                      failure, usually because the channel hung up
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:
    ...usage lines...
    520 End of proper usage.

and when the caller hangs up Asterisk may write a bare ``HANGUP`` line before any answer.

Every value we write back to Asterisk goes through :func:`sanitise`: a double quote, a
backslash, CR or LF inside a value would otherwise end the argument or the command line and let a
caller inject an AGI command of his own (pyst2's ``_quote`` escapes none of them).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.core.text import printable
from ivr.errors import AgiProtocolError

MAX_HEADER_BYTES = 16 * 1024   # a real header is about 1 KiB; 16 KiB leaves room for long arguments
MAX_HEADER_LINES = 200         # ~25 standard variables plus agi_arg_1..N
MAX_VALUE_CHARS = 256          # longest value we write to a channel variable
MAX_COMMAND_BYTES = 2000       # res_agi reads a command into a 2048-byte buffer (AGI_BUF_LEN)
MAX_USAGE_LINES = 100          # a 520 usage text longer than this is not Asterisk

_KEY = re.compile(r"agi_[a-z0-9_]{1,60}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_REPLY = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])?(?P<rest>.*)")
_RESULT = re.compile(r"result=(?P<result>-?\d+)\s*(?:\((?P<data>.*)\))?\s*(?P<extra>.*)")
_EXTRA = re.compile(r"(\w+)=(\S*)")

# Bidirectional overrides and isolates: invisible, and they reorder what a log reader sees.


# --------------------------------------------------------------------------------------------
# The environment header
# --------------------------------------------------------------------------------------------

def header_end(buffer: bytes | bytearray) -> int | None:
    """Where the header in ``buffer`` ends (index just past the empty line), or None if not yet.

    Asterisk ends lines with LF; a CRLF client (a tester with telnet) is accepted too.
    """
    best: int | None = None
    for sep in (b"\n\n", b"\n\r\n"):
        at = buffer.find(sep)
        if at != -1 and (best is None or at + len(sep) < best):
            best = at + len(sep)
    if buffer.startswith(b"\n"):  # an empty header: a bare empty line
        return 1
    if buffer.startswith(b"\r\n"):
        return 2
    return best


@dataclass(frozen=True)
class AgiEnv:
    """The environment Asterisk announced for one AGI session (``agi_`` prefix stripped)."""

    values: Mapping[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def script(self) -> str:
        """The handler name: ``agi_network_script`` (FastAGI), else the script's file name."""
        script = self.get("network_script") or self.get("request").rsplit("/", 1)[-1]
        return script.split("?", 1)[0].strip("/")

    @property
    def uniqueid(self) -> str:
        return self.get("uniqueid")

    @property
    def channel(self) -> str:
        return self.get("channel")

    @property
    def callerid(self) -> str:
        """The caller's number; Asterisk writes ``unknown`` when there is none."""
        value = self.get("callerid")
        return "" if value.lower() == "unknown" else value

    @property
    def extension(self) -> str:
        return self.get("extension")

    @property
    def dnid(self) -> str:
        value = self.get("dnid")
        return "" if value.lower() == "unknown" else value

    @property
    def args(self) -> tuple[str, ...]:
        """``agi_arg_1..N``: the arguments after the script name in ``AGI(script,arg1,...)``."""
        out: list[str] = []
        while f"arg_{len(out) + 1}" in self.values:
            out.append(self.values[f"arg_{len(out) + 1}"])
        return tuple(out)


def parse_header(raw: bytes, *, max_bytes: int = MAX_HEADER_BYTES,
                 max_lines: int = MAX_HEADER_LINES) -> AgiEnv:
    """Parse the environment header (with or without its terminating empty line).

    Raises :class:`AgiProtocolError` naming the line when the input is not an AGI header: too big,
    too many lines, a line that is not ``agi_name: value``, a repeated name. Bytes that are not
    UTF-8 are replaced, not refused: a caller name in Latin-1 must not cost the citizen his call.
    """
    if len(raw) > max_bytes:
        raise AgiProtocolError(
            f"AGI header is {len(raw)} bytes, more than the limit of {max_bytes}")
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    values: dict[str, str] = {}
    count = 0
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if line == "":
            if all(rest.strip("\r") == "" for rest in lines[number:]):
                break
            raise AgiProtocolError(
                f"AGI header line {number}: empty line before the end of the header")
        count += 1
        if count > max_lines:
            raise AgiProtocolError(f"AGI header has more than {max_lines} lines")
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not _KEY.fullmatch(key):
            raise AgiProtocolError(
                f"AGI header line {number}: expected 'agi_<name>: <value>', got {preview(line)!r}")
        name = key[4:]
        if name in values:
            raise AgiProtocolError(f"AGI header line {number}: {key} given twice")
        values[name] = value.strip()
    if not values:
        raise AgiProtocolError("AGI header is empty")
    return AgiEnv(values)


# --------------------------------------------------------------------------------------------
# Values and commands we write
# --------------------------------------------------------------------------------------------

def sanitise(value: object, max_chars: int = MAX_VALUE_CHARS) -> str:
    """``value`` as text that is safe inside a quoted AGI argument and a dialplan variable.

    * CR, LF and TAB become a space (so "a\\nb" stays readable as "a b");
    * every other control character, lone surrogate and bidirectional override is dropped;
    * ``"`` becomes ``'`` and ``\\`` becomes ``/`` (neither can then end or escape the argument);
    * the result is cut to ``max_chars`` characters.

    Idempotent: ``sanitise(sanitise(x)) == sanitise(x)``.
    """
    return printable(str(value), max_chars).replace('"', "'").replace("\\", "/")


def preview(text: str, max_chars: int = 80) -> str:
    """A short, sanitised rendering of untrusted text for a log line or an error message."""
    return sanitise(text, max_chars)


def check_variable_name(name: str) -> str:
    """``name`` if it is a plain channel variable name; ValueError otherwise (a bug, not input)."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise ValueError(f"not a channel variable name: {name!r}")
    return name


def quote(value: object) -> str:
    """A sanitised value wrapped in double quotes: one AGI argument, whatever it contains."""
    return f'"{sanitise(value)}"'


def command(*words: str) -> bytes:
    """One command line, LF-terminated. ``words`` are already quoted where they need to be."""
    line = " ".join(words)
    if "\n" in line or "\r" in line or "\0" in line:
        raise ValueError("an AGI command cannot contain CR, LF or NUL")
    data = (line + "\n").encode("utf-8")
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"AGI command of {len(data)} bytes exceeds {MAX_COMMAND_BYTES}")
    return data


def set_variable(name: str, value: object) -> bytes:
    """``SET VARIABLE "NAME" "value"`` with the value sanitised."""
    return command("SET", "VARIABLE", quote(check_variable_name(name)), quote(value))


def get_variable(name: str) -> bytes:
    """``GET VARIABLE NAME``; also accepts a function read such as ``CHANNEL(linkedid)``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,79}(\([A-Za-z0-9_]{0,40}\))?", name):
        raise ValueError(f"not a variable or function name: {name!r}")
    return command("GET", "VARIABLE", name)


# MSet separates pairs with ',' and counts '(' ')' '[' ']' as nesting even inside a value (an
# unbalanced '(' would swallow the next pairs); a backslash makes the next character literal.
_MSET_SPECIAL = re.compile(r'([\\",()\[\]])')


def _mset_pair(name: str, value: object) -> str:
    escaped = _MSET_SPECIAL.sub(r"\\\1", sanitise(value))
    return f"{check_variable_name(name)}={escaped}"


def _agi_quote_raw(text: str) -> str:
    """Quote already-sanitised text as one AGI argument, escaping the escapes MSet needs."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mset_commands(variables: Mapping[str, object],
                  max_bytes: int = MAX_COMMAND_BYTES) -> list[bytes]:
    """As few ``EXEC MSet "A=1,B=2,..."`` commands as fit the command buffer: one round trip each.

    Each value is sanitised, then escaped twice: once for MSet's own argument parser (``,``,
    parentheses, brackets) and once for the AGI command parser (the backslashes themselves).
    The result is the same channel variables as one ``SET VARIABLE`` per pair.
    """
    fixed = len(b'EXEC MSet ""\n')
    commands: list[bytes] = []
    batch: list[str] = []
    size = fixed   # the command's length in bytes with ``batch`` quoted in it, kept as pairs are added
    for name, value in variables.items():
        pair = _mset_pair(name, value)
        quoted = len(_agi_quote_raw(pair).encode("utf-8")) - 2 + (1 if batch else 0)  # and its comma
        if batch and size + quoted > max_bytes:
            commands.append(command("EXEC", "MSet", _agi_quote_raw(",".join(batch))))
            batch, size = [], fixed
            quoted -= 1
        batch.append(pair)
        size += quoted
    if batch:
        commands.append(command("EXEC", "MSet", _agi_quote_raw(",".join(batch))))
    return commands


def set_variable_commands(variables: Mapping[str, object]) -> list[bytes]:
    """One ``SET VARIABLE`` per pair: a round trip each, but no second parser to escape for."""
    return [set_variable(name, value) for name, value in variables.items()]


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    """One answer to one command."""

    code: int
    result: int | None = None              # the number after result= (200 only)
    data: str | None = None                # the text in parentheses, if any
    extra: Mapping[str, str] = field(default_factory=dict)  # endpos=..., etc.
    text: str = ""                         # the whole first line after the code
    usage: tuple[str, ...] = ()            # 520: the usage lines

    @property
    def ok(self) -> bool:
        """The command ran and did not report a failure."""
        return self.code == 200 and (self.result is None or self.result >= 0)

    @property
    def dead_channel(self) -> bool:
        """Asterisk refused because the channel is gone (511), or the command failed on hang-up."""
        return self.code == 511 or (self.code == 200 and self.result == -1)


class ReplyReader:
    """Assembles replies from lines, one line at a time (the server owns the socket).

    ``feed(line)`` returns a :class:`Reply` once one is complete, or None when more lines are
    needed (a 520 usage block) or the line was an inline ``HANGUP`` notice, remembered in
    :attr:`hangup`. Anything else raises :class:`AgiProtocolError`.
    """

    def __init__(self) -> None:
        self.hangup = False
        self._usage: list[str] | None = None
        self._usage_head = ""

    def feed(self, raw: bytes | str) -> Reply | None:
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        line = line.rstrip("\r\n")
        if self._usage is not None:
            if line.startswith("520 "):
                usage, self._usage = tuple(self._usage), None
                return Reply(520, text=self._usage_head, usage=usage)
            if len(self._usage) >= MAX_USAGE_LINES:
                raise AgiProtocolError(f"520 usage text longer than {MAX_USAGE_LINES} lines")
            self._usage.append(line)
            return None
        if line.strip() == "HANGUP":
            self.hangup = True
            return None
        return self._parse_first(line)

    def _parse_first(self, line: str) -> Reply | None:
        match = _REPLY.fullmatch(line)
        if not match:
            raise AgiProtocolError(f"not an AGI reply: {preview(line)!r}")
        code, rest = int(match["code"]), match["rest"].strip()
        if code == 520 and match["sep"] == "-":
            self._usage, self._usage_head = [], rest
            return None
        if code != 200:
            return Reply(code, text=rest)
        result = _RESULT.fullmatch(rest)
        if not result:
            raise AgiProtocolError(f"200 reply without result=: {preview(line)!r}")
        data = result["data"]
        extra = dict(_EXTRA.findall(result["extra"] or ""))
        return Reply(200, result=int(result["result"]), data=data, extra=extra, text=rest)
