"""The data folder's layout (``IVR_DATA_DIR``): the path of every file the engine keeps there.

Each name is spelt here once. The parts of the engine run in separate processes (routing beside
Asterisk, the centre once) and meet through some of these files, and the command line reads the
rest: a name typed twice is a name that drifts, and then a writer and its reader miss each other
without an error. Pure path arithmetic: nothing here touches the disk.

::

    agi-stats.json           routing's counters and timings, rewritten every second
    calls/                   routing's call log (a spool: ivr.spool)
    boards/notices.json      the incident notices in force, written by the centre for routing
    boards/callbacks.json    each number's callback requests, written by the centre for routing
    ami/spool/               the facts from Asterisk, before the database takes them
    ami/intake.json          the intake's status
    ami/queue_log.offset     how far Asterisk's queue log was read
    parts/                   each running part's status (pid, rules version)
    cache/                   the classic AGI script's compiled rules
    secrets/                 generated passwords, TLS keys, the console's session key
    audit/access-log.jsonl   the auditors' access log
    backups/pre-upgrade/     the copy taken before a migration
    ivr.sqlite3              the default database
"""
from __future__ import annotations

from pathlib import Path


def agi_stats(data_dir: Path) -> Path:
    return Path(data_dir) / "agi-stats.json"


def call_log(data_dir: Path) -> Path:
    return Path(data_dir) / "calls"


def asterisk_records_offset(data_dir: Path) -> Path:
    """How far the impact preview's ingest read Asterisk's own records."""
    return call_log(data_dir) / ".asterisk-records.offset"


def boards(data_dir: Path) -> Path:
    return Path(data_dir) / "boards"


def notices_board(data_dir: Path) -> Path:
    return boards(data_dir) / "notices.json"


def callbacks_board(data_dir: Path) -> Path:
    return boards(data_dir) / "callbacks.json"


def intake_spool(data_dir: Path) -> Path:
    return Path(data_dir) / "ami" / "spool"


def intake_status(data_dir: Path) -> Path:
    return Path(data_dir) / "ami" / "intake.json"


def queue_log_offset(data_dir: Path) -> Path:
    return Path(data_dir) / "ami" / "queue_log.offset"


def parts(data_dir: Path) -> Path:
    return Path(data_dir) / "parts"


def rules_cache(data_dir: Path) -> Path:
    return Path(data_dir) / "cache"


def secrets(data_dir: Path) -> Path:
    return Path(data_dir) / "secrets"


def access_log(data_dir: Path) -> Path:
    return Path(data_dir) / "audit" / "access-log.jsonl"


def pre_upgrade_backups(data_dir: Path) -> Path:
    return Path(data_dir) / "backups" / "pre-upgrade"


def sqlite_database(data_dir: Path) -> Path:
    return Path(data_dir) / "ivr.sqlite3"
