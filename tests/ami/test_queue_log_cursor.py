"""The queue-log cursor: reads each line once, across restarts, rotation and half-written lines."""
from __future__ import annotations

from ivr.ami.listener import QueueLogCursor


def test_reads_only_new_complete_lines_and_remembers_where_it_stopped(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "state" / "offset.json"
    log.write_text("1788000000|1.1|q12345|NONE|ENTERQUEUE||139|1\n1788000003|1.1|q12345|PJSIP/agent1|CONN")
    cursor = QueueLogCursor(log, state)
    assert [e.event for e in cursor.read_new()] == ["ENTERQUEUE"]
    cursor.commit()
    with log.open("a") as fh:
        fh.write("ECT|3|1.2|0\n")
    again = QueueLogCursor(log, state)  # a restarted listener
    assert [(e.event, e.agent) for e in again.read_new()] == [("CONNECT", "PJSIP/agent1")]
    again.commit()
    assert QueueLogCursor(log, state).read_new() == []


def test_not_committed_means_read_again(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "offset.json"
    log.write_text("1788000000|1.1|q12345|NONE|ENTERQUEUE||139|1\n")
    assert len(QueueLogCursor(log, state).read_new()) == 1
    assert len(QueueLogCursor(log, state).read_new()) == 1  # the first reader died before applying


def test_rotation_starts_from_the_top(tmp_path):
    log, state = tmp_path / "queue_log", tmp_path / "offset.json"
    log.write_text("1788000000|1.1|q12345|NONE|ENTERQUEUE||139|1\n" * 3)
    cursor = QueueLogCursor(log, state)
    cursor.read_new()
    cursor.commit()
    log.unlink()
    log.write_text("1788000100|2.1|q12345|NONE|ENTERQUEUE||139|1\n")  # a new file (new inode)
    assert [e.callid for e in QueueLogCursor(log, state).read_new()] == ["2.1"]


def test_missing_log_is_nothing_to_read(tmp_path):
    assert QueueLogCursor(tmp_path / "none", tmp_path / "s").read_new() == []


def test_lines_written_before_a_rotation_are_read_from_the_rotated_file(tmp_path):
    """logrotate renames queue_log to queue_log.1 and Asterisk's `logger reload` starts a new one:
    what Asterisk wrote to the old file after the last read (the engine was down) is still read."""
    log, state = tmp_path / "queue_log", tmp_path / "offset.json"
    log.write_text("1788000000|1.1|q12345|NONE|ENTERQUEUE||139|1\n")
    cursor = QueueLogCursor(log, state)
    cursor.read_new()
    cursor.commit()
    with log.open("a") as fh:  # the engine is down; Asterisk goes on
        fh.write("1788000003|1.1|q12345|PJSIP/agent1|CONNECT|3|1.2|0\n")
    log.rename(tmp_path / "queue_log.1")
    log.write_text("1788000100|2.1|q12345|NONE|ENTERQUEUE||139|1\n")
    again = QueueLogCursor(log, state)
    assert [(e.callid, e.event) for e in again.read_new()] == [("1.1", "CONNECT"), ("2.1", "ENTERQUEUE")]
    again.commit()
    assert QueueLogCursor(log, state).read_new() == []
