"""The callback check over real sockets: what a caller asking for a callback is told, from the
board of each number's requests; nothing when the board is not current (the dialplan then keeps
the caller in the queue); and a hostile caller id never passes for a number that can be called."""
from __future__ import annotations

from datetime import datetime

import pytest

from support import CST
from ivr import boards
from ivr.agi.callback_board import STALE_S, CallbackBoard
from ivr.agi.handlers import HANDLERS, AgiContext, StaticRules
from ivr.agi.server import Limits
from ivr.core import callbacks as cb

FAST = Limits(header_timeout=0.3, reply_timeout=0.3, session_timeout=2.0)


class Requests:
    """The centre's side of the board: each number's open request and callbacks today, written
    to the board file routing reads (ivr.lifecycle.board_writer does it from the database)."""

    def __init__(self, path, histories: dict[str, cb.NumberHistory], wall) -> None:
        self.path, self.histories, self.wall, self.away = path, histories, wall, False

    def publish(self) -> None:
        if not self.away:
            boards.write(self.path, boards.encode_histories(self.histories, datetime(2026, 3, 10, tzinfo=CST),
                                                            self.wall()))


@pytest.fixture
def board(tmp_path, shipped_rules):
    now = {"t": 1000.0}
    made = CallbackBoard(tmp_path / "callbacks.json", per_day=3, wall=lambda: now["t"])
    made.requests = Requests(tmp_path / "callbacks.json", {"13900000001": cb.NumberHistory(7, 1),
                                                           "13900000002": cb.NumberHistory(None, 3)},
                             lambda: now["t"])
    made.now = now
    return made


@pytest.fixture
def check(agi_server, shipped_rules, board, peer):
    server = agi_server(HANDLERS, AgiContext(rules=StaticRules(shipped_rules), callbacks=board), limits=FAST)

    def ask(caller: str) -> str | None:
        done = peer.converse(server.port, peer.header(network_script="callback_check", callerid=caller))
        return done.variables.get("IVR_CALLBACK_VERDICT")
    return ask


def test_the_caller_is_told_what_the_rule_says_for_their_number(board, check):
    board.requests.publish()
    board.refresh()
    assert check("13900000009") == "accept"
    assert check("+86 139 0000 0001") == "join"            # the same number, spelt the carrier's way
    assert check("13900000002") == "refuse_today"
    for hostile in ("110", "00101234567", "unknown", '139"EXEC Dial', "9" * 400):
        assert check(hostile) == "refuse_number"
    assert check('139"\nEXEC Dial') is None   # a header broken in two: nothing said, the caller stays queued


def test_no_current_board_no_verdict_and_the_caller_stays_in_the_queue(board, check):
    assert check("13900000009") is None                      # never written
    board.requests.publish()
    board.refresh()
    board.now["t"] += STALE_S + 1
    board.requests.away = True                                # the centre (or its database) is away
    board.refresh()                                           # the last copy ages
    assert not board.current() and check("13900000009") is None
    board.requests.away = False
    board.requests.publish()
    board.refresh()
    assert board.current() and check("13900000002") == "refuse_today"
