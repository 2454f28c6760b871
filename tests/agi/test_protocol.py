"""The pure AGI protocol: header parsing, sanitising, command formatting, reply parsing."""
from __future__ import annotations

import pytest

from ivr.agi import protocol as p
from ivr.errors import AgiProtocolError

HEADER = (b"agi_network: yes\n"
          b"agi_network_script: route\n"
          b"agi_request: agi://127.0.0.1:4573/route\n"
          b"agi_channel: PJSIP/carrier-00000001\n"
          b"agi_uniqueid: 1700000000.1\n"
          b"agi_callerid: 13912345678\n"
          b"agi_calleridname: unknown\n"
          b"agi_dnid: 80000201\n"
          b"agi_extension: 80000201\n"
          b"agi_arg_1: 051380000201\n"
          b"agi_arg_2: x\n"
          b"\n")


def parse_reply(lines) -> p.Reply:
    """The first complete reply in ``lines``, read as the server reads them."""
    reader = p.ReplyReader()
    for line in lines:
        reply = reader.feed(line)
        if reply is not None:
            return reply
    raise AgiProtocolError("the reply ended before it was complete")


# -- header ----------------------------------------------------------------------------------

def test_parse_header_reads_every_variable():
    env = p.parse_header(HEADER)
    assert env.script == "route"
    assert env.uniqueid == "1700000000.1"
    assert env.callerid == "13912345678"
    assert env.extension == "80000201"
    assert env.args == ("051380000201", "x")
    assert env.get("calleridname") == "unknown"


@pytest.mark.parametrize("raw, script", [
    (b"agi_network_script: route\n\n", "route"),
    (b"agi_network_script: /route/\n\n", "route"),
    (b"agi_network_script: route?x=1\n\n", "route"),
    (b"agi_request: /usr/share/agi/route.py\n\n", "route.py"),
    (b"agi_request: agi://h/rate\r\n\r\n", "rate"),
])
def test_script_name(raw, script):
    assert p.parse_header(raw).script == script


@pytest.mark.parametrize("value, expected", [
    ("unknown", ""), ("Unknown", ""), ("", ""), ("8001", "8001")])
def test_callerid_unknown_is_empty(value, expected):
    assert p.parse_header(f"agi_callerid: {value}\n\n".encode()).callerid == expected


def test_value_may_contain_colons():
    assert p.parse_header(b"agi_request: agi://127.0.0.1:4573/route\n\n").get("request") == \
        "agi://127.0.0.1:4573/route"


def test_non_utf8_bytes_are_replaced_not_fatal():
    env = p.parse_header(b"agi_network_script: route\nagi_calleridname: Jos\xe9 \xff\xfe\n\n")
    assert env.get("calleridname") == "Jos\ufffd \ufffd\ufffd"


def test_truncated_utf8_is_replaced():
    env = p.parse_header("agi_calleridname: 张".encode()[:-1] + b"\n\n")
    assert env.get("calleridname") == "\ufffd"


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (b"\n", "empty"),
    (b"hello world\n\n", "line 1: expected 'agi_<name>: <value>'"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "line 1"),
    (b"agi_network: yes\nnot a header line\n\n", "line 2"),
    (b"agi_: x\n\n", "line 1"),
    (b"agi_network: yes\nagi_network: no\n\n", "agi_network given twice"),
    (b"agi_a: 1\n\nagi_b: 2\n\n", "empty line before the end"),
    (b"agi_x: " + b"a" * 20000 + b"\n\n", "limit of 16384"),
    (b"".join(b"agi_v%d: 1\n" % i for i in range(300)) + b"\n", "more than 200 lines"),
])
def test_bad_headers_are_refused_with_a_reason(raw, message):
    with pytest.raises(AgiProtocolError, match=message.replace("(", r"\(").replace("?", r"\?")):
        p.parse_header(raw)


def test_refusal_message_does_not_echo_control_characters():
    with pytest.raises(AgiProtocolError) as err:
        p.parse_header(b"evil\x1b[31m\x00line\n\n")
    assert "\x1b" not in str(err.value) and "\x00" not in str(err.value)


@pytest.mark.parametrize("buffer, end", [
    (b"agi_a: 1\n", None),
    (b"agi_a: 1\n\n", 10),
    (b"agi_a: 1\n\nmore", 10),
    (b"agi_a: 1\r\n\r\n", 12),
    (b"\n", 1),
    (b"", None),
])
def test_header_end(buffer, end):
    assert p.header_end(buffer) == end


# -- sanitising ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("plain", "plain"),
    ("如东县交通运输局", "如东县交通运输局"),
    ('say "hi"', "say 'hi'"),
    ("a\\b", "a/b"),
    ("line1\nline2", "line1 line2"),
    ("a\r\nSET VARIABLE X 1", "a  SET VARIABLE X 1"),
    ("nul\x00byte", "nulbyte"),
    ("bell\x07esc\x1b[2J", "bellesc[2J"),
    ("del\x7f c1\x85", "del c1"),
    ("bidi\u202eevil", "bidievil"),
    ("ls\u2028ps\u2029", "lsps"),
    ("lone\ud800surrogate", "lonesurrogate"),
    ("tab\there", "tab here"),
    (42, "42"),
    (None, "None"),
])
def test_sanitise(value, expected):
    assert p.sanitise(value) == expected


def test_sanitise_bounds_length_and_is_idempotent():
    long = "号" * 1000 + '"\n'
    once = p.sanitise(long)
    assert len(once) == p.MAX_VALUE_CHARS
    assert p.sanitise(once) == once
    assert p.sanitise("abcdef", max_chars=3) == "abc"


# -- commands --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, line", [
    ("IVR_ACTION", "queue", b'SET VARIABLE "IVR_ACTION" "queue"\n'),
    ("IVR_LINE", "", b'SET VARIABLE "IVR_LINE" ""\n'),
    ("IVR_DEPARTMENT_NAME", "交通运输局", 'SET VARIABLE "IVR_DEPARTMENT_NAME" "交通运输局"\n'.encode()),
    # A caller ID trying to close the quote and start a command of its own stays one argument.
    ("CID", '1"\nEXEC Dial "PJSIP/evil', b"SET VARIABLE \"CID\" \"1' EXEC Dial 'PJSIP/evil\"\n"),
    ("CID", "x\\", b'SET VARIABLE "CID" "x/"\n'),
])
def test_set_variable(name, value, line):
    assert p.set_variable(name, value) == line


@pytest.mark.parametrize("name", ["", "1ABC", "A B", 'A"', "A\nB", "CALLERID(name)", "X" * 81])
def test_set_variable_refuses_bad_names(name):
    with pytest.raises(ValueError):
        p.set_variable(name, "v")


@pytest.mark.parametrize("name, line", [
    ("IVR_RATING", b"GET VARIABLE IVR_RATING\n"),
    ("CHANNEL(linkedid)", b"GET VARIABLE CHANNEL(linkedid)\n"),
])
def test_get_variable(name, line):
    assert p.get_variable(name) == line


@pytest.mark.parametrize("name", ["A B", "X\nY", 'A"', "CHANNEL(a b)"])
def test_get_variable_refuses_bad_names(name):
    with pytest.raises(ValueError):
        p.get_variable(name)


def test_command_refuses_embedded_newlines():
    with pytest.raises(ValueError):
        p.command("NOOP", "a\nb")


@pytest.mark.parametrize("variables, line", [
    ({"IVR_ACTION": "queue", "IVR_QUEUE": "q12345"},
     b'EXEC MSet "IVR_ACTION=queue,IVR_QUEUE=q12345"\n'),
    ({"IVR_PROMPTS": "one-moment-please&digits/1"},
     b'EXEC MSet "IVR_PROMPTS=one-moment-please&digits/1"\n'),
    ({"IVR_EMPTY": ""}, b'EXEC MSet "IVR_EMPTY="\n'),
    # MSet's own separators and nesting characters are escaped (\\ on the AGI line = \ for MSet).
    ({"A": "x,y", "B": "(z"}, b'EXEC MSet "A=x\\\\,y,B=\\\\(z"\n'),
    ({"A": "[1]=2"}, b'EXEC MSet "A=\\\\[1\\\\]=2"\n'),
    # A quote or newline cannot survive to end the argument.
    ({"A": 'a"b\nc'}, b"EXEC MSet \"A=a'b c\"\n"),
])
def test_mset_commands(variables, line):
    assert p.mset_commands(variables) == [line]


def test_mset_splits_into_as_few_commands_as_fit():
    variables = {f"IVR_V{i}": "字" * 250 for i in range(12)}  # 750 bytes of value each
    commands = p.mset_commands(variables)
    assert all(len(c) <= p.MAX_COMMAND_BYTES for c in commands)
    assert len(commands) == 6  # three 600-byte pairs would pass 2000 bytes: two per command
    joined = b"".join(commands).decode()
    assert all(f"IVR_V{i}=" in joined for i in range(12))


@pytest.mark.parametrize("limit", [40, 41, 57, 64, 100, 2000])
def test_mset_fills_each_command_to_the_byte_and_no_further(limit):
    variables = {"IVR_A": "x,y", "IVR_B": "字字", "IVR_CC": "(1)", "IVR_D": "", "IVR_E": "q" * 9}
    commands = p.mset_commands(variables, max_bytes=limit)
    assert all(len(c) <= limit for c in commands)
    pairs = [c.decode()[len('EXEC MSet "'):-2] for c in commands]
    for this, following in zip(pairs, pairs[1:]):   # the next pair would not have fitted
        merged = f'EXEC MSet "{this},{following.split(",")[0]}"\n'.encode()
        assert len(merged) > limit or "\\\\," in following.split(",")[0]
    assert p.mset_commands(variables, max_bytes=10_000) == [b"".join(commands).replace(b'"\nEXEC MSet "', b",")]


def test_set_variable_commands_one_per_variable():
    assert p.set_variable_commands({"A": "1", "B": "2"}) == [
        b'SET VARIABLE "A" "1"\n', b'SET VARIABLE "B" "2"\n']


# -- replies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lines, code, result, data, extra, ok, dead", [
    (["200 result=1"], 200, 1, None, {}, True, False),
    (["200 result=0\n"], 200, 0, None, {}, True, False),
    (["200 result=1 (q12345)"], 200, 1, "q12345", {}, True, False),
    (["200 result=1 (a (b) c)"], 200, 1, "a (b) c", {}, True, False),
    (["200 result=1 (如东)"], 200, 1, "如东", {}, True, False),
    (["200 result=0 endpos=8000"], 200, 0, None, {"endpos": "8000"}, True, False),
    (["200 result=49 (dtmf) endpos=1234"], 200, 49, "dtmf", {"endpos": "1234"}, True, False),
    (["200 result=-1"], 200, -1, None, {}, False, True),
    (["510 Invalid or unknown command"], 510, None, None, {}, False, False),
    (["511 Command Not Permitted on a dead channel or intercept routine"], 511, None, None, {},
     False, True),
    (["HANGUP", "200 result=1"], 200, 1, None, {}, True, False),
    ([b"200 result=1 (\xff)\r\n"], 200, 1, "\ufffd", {}, True, False),
])
def test_parse_reply(lines, code, result, data, extra, ok, dead):
    reply = parse_reply(lines)
    assert (reply.code, reply.result, reply.data, dict(reply.extra)) == (code, result, data, extra)
    assert (reply.ok, reply.dead_channel) == (ok, dead)


def test_520_usage_block_is_one_reply():
    reader = p.ReplyReader()
    assert reader.feed("520-Invalid command syntax.  Proper usage follows:") is None
    assert reader.feed(" Usage: SET VARIABLE <variablename> <value>") is None
    assert reader.feed("") is None
    reply = reader.feed("520 End of proper usage.")
    assert reply.code == 520
    assert reply.usage == (" Usage: SET VARIABLE <variablename> <value>", "")


def test_inline_hangup_is_remembered():
    reader = p.ReplyReader()
    assert reader.feed("HANGUP\n") is None
    assert reader.hangup
    assert reader.feed("200 result=1").ok


@pytest.mark.parametrize("line", ["", "hello", "20 result=1", "200 no result", "200 result=abc",
                                  "GET VARIABLE X"])
def test_garbage_reply_is_a_protocol_error(line):
    with pytest.raises(AgiProtocolError):
        parse_reply([line])


def test_endless_usage_block_is_refused():
    reader = p.ReplyReader()
    reader.feed("520-Invalid command syntax.")
    with pytest.raises(AgiProtocolError):
        for _ in range(p.MAX_USAGE_LINES + 1):
            reader.feed("more usage")


def test_incomplete_reply():
    with pytest.raises(AgiProtocolError, match="ended before"):
        parse_reply(["HANGUP"])
