"""The boards: the centre writes the notices and callback requests to files, routing reads them
only when they changed, and a database or a centre that is away leaves the last copy."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

from support import CST
from ivr import boards, data_folder
from ivr.agi.callback_board import STALE_S, CallbackBoard
from ivr.agi.notice_board import NoticeBoard
from ivr.core.callbacks import NumberHistory
from ivr.core.notices import Notice
from ivr.errors import StoreError
from ivr.lifecycle.board_writer import BoardWriter

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=CST)
FLOOD = Notice(3, "hotline/notice_3", NOW - timedelta(hours=1), NOW + timedelta(hours=2), ("051380000301",), ("q12345",))


class Record:
    def __init__(self, notice: Notice) -> None:
        self._notice = notice

    def notice(self) -> Notice:
        return self._notice


class Surges:
    """The store's two reads the writer makes; ``away`` plays a database that is down."""

    def __init__(self) -> None:
        self.records, self.histories, self.away, self.asked = [Record(FLOOD)], {"13900000001": NumberHistory(7, 1)}, False, []

    def notices(self, since):
        if self.away:
            raise StoreError("the database is unavailable: connection refused")
        self.asked.append(since)
        return self.records

    def number_histories(self, day_start):
        if self.away:
            raise StoreError("the database is unavailable: connection refused")
        self.asked.append(day_start)
        return dict(self.histories)


def test_the_files_round_trip():
    _, notices = boards.decode_notices(boards.encode_notices([FLOOD], 5.0))
    assert notices == (FLOOD,)
    got = boards.decode_histories(boards.encode_histories({"139": NumberHistory(None, 2)}, NOW, 6.0))
    assert got.numbers == {"139": NumberHistory(None, 2)} and got.written_at == 6.0


def test_routing_sees_what_the_centre_wrote_and_keeps_it_when_the_database_goes(tmp_path):
    wall = {"t": 1000.0}
    surges = Surges()
    writer = BoardWriter(surges, tmp_path, lambda: NOW, lambda: CST, wall=lambda: wall["t"])
    notices = NoticeBoard(data_folder.notices_board(tmp_path))
    callbacks = CallbackBoard(data_folder.callbacks_board(tmp_path), wall=lambda: wall["t"])
    notices.refresh(), callbacks.refresh()
    assert notices.notices == () and not callbacks.current()        # nothing written yet
    writer.write_once()
    assert surges.asked == [NOW - timedelta(minutes=1), datetime(2026, 3, 10, tzinfo=CST)]
    notices.refresh(), callbacks.refresh()
    assert notices.notices == (FLOOD,)
    assert callbacks.current() and callbacks.verdict("13900000001").value == "join"
    assert oct(os.stat(data_folder.callbacks_board(tmp_path)).st_mode & 0o777) == "0o640"   # callers' numbers

    surges.away = True                                               # the database goes away
    wall["t"] += STALE_S + 1
    writer.write_once()
    notices.refresh(), callbacks.refresh()
    assert notices.notices == (FLOOD,)                               # the notice stays in force
    assert not callbacks.current()                                   # the callback check stops answering


def test_an_unchanged_board_is_not_rewritten_until_the_heartbeat(tmp_path):
    wall = {"t": 1000.0}
    writer = BoardWriter(Surges(), tmp_path, lambda: NOW, lambda: CST, wall=lambda: wall["t"])
    writer.write_once()
    path = data_folder.callbacks_board(tmp_path)
    first = os.stat(path).st_ino
    wall["t"] += 1
    writer.write_once()
    assert os.stat(path).st_ino == first                             # same content: left alone
    wall["t"] += boards.HEARTBEAT_S
    writer.write_once()
    assert os.stat(path).st_ino != first                             # vouched for again
    assert json.loads(path.read_text())["written_at"] == wall["t"]


def test_a_damaged_board_keeps_the_last_copy(tmp_path):
    path = data_folder.notices_board(tmp_path)
    boards.write(path, boards.encode_notices([FLOOD], 1.0))
    board = NoticeBoard(path)
    board.refresh()
    path.write_text("{not json")
    board.refresh()
    assert board.notices == (FLOOD,)
