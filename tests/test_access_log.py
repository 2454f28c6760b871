"""The auditors' access log: appended under a lock, hash-chained, its head kept in the database;
verify finds an edited line, a removed one, and entries cut from the end."""
from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from ivr.access_log import NAME, AccessLog
from ivr.errors import AuditError
from ivr.store.audit import AuditStore
from store.conftest import _fresh_logging, policy, store, store_url  # noqa: F401 - SQLite and PostgreSQL
from support import at

T0 = at("2020-06-01 10:30")


@pytest.fixture
def journal(tmp_path, store):
    return AccessLog(tmp_path / "audit" / "access-log.jsonl", AuditStore(store.engine, store.tz))


def fill(journal: AccessLog, n: int = 5) -> None:
    for i in range(n):
        journal.append(at=T0, user="chen", role="auditor", address="10.0.0.7", action="play",
                       what=f"12345-20200601-{i:06d}", result="ok")


def test_entries_are_chained_and_the_head_is_in_the_database(journal, store):
    fill(journal)
    lines = journal.path.read_text().splitlines()
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert (first["seq"], first["prev"], last["seq"]) == (1, "0" * 64, 5)
    assert json.loads(lines[1])["prev"] == first["hash"]
    assert AuditStore(store.engine, store.tz).head(NAME) == (5, last["hash"])
    result = journal.verify()
    assert result.ok and result.chain.entries == 5
    assert [e["seq"] for e in journal.entries(limit=2)] == [5, 4]


def test_an_edited_line_is_found(journal):
    fill(journal)
    lines = journal.path.read_text().splitlines()
    lines[2] = lines[2].replace('"user":"chen"', '"user":"zhou"')
    journal.path.write_text("\n".join(lines) + "\n")
    assert journal.verify().problems == ["line 3 (entry 3): edited: its content no longer matches its hash"]


def test_a_removed_line_and_a_cut_end_are_found(journal):
    fill(journal)
    lines = journal.path.read_text().splitlines()
    journal.path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    assert journal.verify().problems == ["line 2 (entry 3): entry 2 missing before it"]
    journal.path.write_text("\n".join(lines[:3]) + "\n")
    assert journal.verify().problems == [
        "the database's head is entry 5, the file ends at entry 3: entries 4..5 were removed from the end"]


def test_writers_in_parallel_keep_one_chain(journal):
    threads = [threading.Thread(target=fill, args=(journal, 20)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = journal.verify()
    assert result.ok and result.chain.last_seq == 80


def test_hostile_text_stays_on_its_line_and_the_csv_runs_no_formula(journal):
    journal.append(at=T0, user="chen", role="auditor", address="10.0.0.7", action="search",
                   what='caller=1390\n{"seq": 99}\u202e', result="=HYPERLINK(\"http://x\")")
    assert len(journal.path.read_text().splitlines()) == 1 and journal.verify().ok
    rows = list(csv.reader(io.StringIO(journal.csv_text())))
    assert rows[0][:3] == ["seq", "at", "user"] and rows[1][7].startswith("'=")


def test_a_log_that_cannot_be_written_refuses(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(AuditError, match="cannot write the access log"):
        AccessLog(blocked / "access-log.jsonl").append(at=T0, user="u", role="auditor", address="a",
                                                       action="play", what="w", result="ok")


def test_a_forged_entry_appended_with_a_valid_chain_is_found(journal):
    """Appended after the last entry, with a seq and prev that follow: the database's head lags."""
    from ivr.core import hash_chain

    fill(journal)
    last = json.loads(journal.path.read_text().splitlines()[-1])
    forged = hash_chain.seal({"at": T0.isoformat(), "user": "chen", "role": "auditor", "address": "10.0.0.7",
                              "action": "play", "what": "nothing", "result": "ok"}, 6, last["hash"])
    with open(journal.path, "a") as handle:
        handle.write(hash_chain.dumps(forged) + "\n")
    problems = journal.verify().problems
    assert any("not keyed after keyed entries" in p for p in problems)
    assert any("were not written by the console" in p for p in problems)


def test_the_chain_is_keyed_with_a_private_key_so_a_rewrite_with_its_head_is_found(journal, store):
    """Rewriting the whole file and the head together, without the key, does not check."""
    from ivr.access_log import key_path
    from ivr.core import hash_chain

    fill(journal)
    key = key_path(journal.path)
    assert key.exists() and key.stat().st_mode & 0o777 == 0o600
    entries = [json.loads(line) for line in journal.path.read_text().splitlines()]
    prev, rewritten = hash_chain.GENESIS, []
    for entry in entries:
        fields = {k: v for k, v in entry.items() if k not in hash_chain.CHAIN_FIELDS}
        fields["user"] = "zhou"
        sealed = hash_chain.seal(fields, entry["seq"], prev)
        sealed["mac"] = hash_chain.KEYED                # claims to be keyed, hashed without the key
        sealed["hash"] = hash_chain.digest({**sealed, "mac": None})
        rewritten.append(sealed)
        prev = sealed["hash"]
    journal.path.write_text("".join(hash_chain.dumps(e) + "\n" for e in rewritten))
    AuditStore(store.engine, store.tz).set_head(NAME, 5, prev, T0)
    assert not journal.verify().ok


def test_verify_goes_on_from_a_checkpoint_and_notices_an_edit_before_it(journal):
    fill(journal, 3)
    first = journal.verify()
    assert first.ok and first.checkpoint.lines == 3
    fill(journal, 2)
    calls: list[int] = []
    import ivr.core.hash_chain as chain_module
    original = chain_module.digest

    def counting(entry, key=None):
        calls.append(entry["seq"])
        return original(entry, key)

    chain_module.digest = counting
    try:
        again = journal.verify(first.checkpoint)
    finally:
        chain_module.digest = original
    assert again.ok and again.chain.last_seq == 5 and again.chain.entries == 5
    assert sorted(set(calls)) == [4, 5]                       # only the new entries were checked
    text = journal.path.read_text().replace('"what":"12345-20200601-000001"', '"what":"12345-20200601-000009"')
    journal.path.write_text(text)
    assert not journal.verify(again.checkpoint).ok             # the bytes before changed: checked whole


def test_entries_are_paged_from_the_newest(journal):
    fill(journal, 5)
    assert [e["seq"] for e in journal.entries(2)] == [5, 4]
    assert [e["seq"] for e in journal.entries(2, before=4)] == [3, 2]
    rows = list(journal.csv_rows())
    assert len(rows) == 6 and rows[0].startswith("seq,at,user")
