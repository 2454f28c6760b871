"""The callback check over real sockets: what a caller asking for a callback is told, from the
board of each number's requests; nothing when the board is not current (the dialplan then keeps
the caller in the queue); and a hostile caller id never passes for a number that can be called."""
from __future__ import annotations

import pytest

from support import CST
from ivr.agi.callback_board import STALE_S, CallbackBoard
from ivr.agi.handlers import HANDLERS, AgiContext, StaticRules
from ivr.agi.server import Limits
from ivr.clock import make_clock
from ivr.core import callbacks as cb
from ivr.errors import StoreError

FAST = Limits(header_timeout=0.3, reply_timeout=0.3, session_timeout=2.0)


class Requests:
    """The store's side of the board: each number's open request and callbacks today."""

    def __init__(self, histories: dict[str, cb.NumberHistory]) -> None:
        self.histories, self.days, self.away = histories, [], False

    def number_histories(self, day_start):
        if self.away:
            raise StoreError("the callbacks database is unavailable: connection refused")
        self.days.append(day_start)
        return dict(self.histories)


@pytest.fixture
def board(shipped_rules):
    clock = make_clock("2026-03-10T10:00", CST)
    now = {"t": 1000.0}
    made = CallbackBoard(Requests({"13900000001": cb.NumberHistory(7, 1), "13900000002": cb.NumberHistory(None, 3)}),
                         clock, lambda: CST, per_day=3, monotonic=lambda: now["t"])
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
    board.refresh()
    assert board.requests.days[0].isoformat() == "2026-03-10T00:00:00+08:00"   # the centre's day
    assert check("13900000009") == "accept"
    assert check("+86 139 0000 0001") == "join"            # the same number, spelt the carrier's way
    assert check("13900000002") == "refuse_today"
    for hostile in ("110", "00101234567", "unknown", '139"EXEC Dial', "9" * 400):
        assert check(hostile) == "refuse_number"
    assert check('139"\nEXEC Dial') is None   # a header broken in two: nothing said, the caller stays queued


def test_no_current_board_no_verdict_and_the_caller_stays_in_the_queue(board, check):
    assert check("13900000009") is None                      # never read
    board.refresh()
    board.now["t"] += STALE_S + 1
    board.requests.away = True
    board.refresh()                                           # the database is away: the last copy ages
    assert not board.current() and check("13900000009") is None
    board.requests.away = False
    board.refresh()
    assert board.current() and check("13900000002") == "refuse_today"
