"""The knowledge base on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): Chinese search, short
words, validity in time, idempotent import, and query text that is not query syntax."""
from __future__ import annotations

import pytest

from ivr.core.kb import Article, parse_article
from ivr.errors import KnowledgeBaseError
from ivr.store.kb import KnowledgeBase
from support import CST, REPO, at

NOW = at("2020-06-01 10:00")


@pytest.fixture
def kb(store) -> KnowledgeBase:
    base = KnowledgeBase(store.engine, store.tz)
    for path in sorted((REPO / "kb").glob("*.md")):
        if path.name != "README.md":
            assert base.upsert(parse_article(path.read_text(encoding="utf-8"), path.name, CST), NOW) == "added"
    return base


def keys(found: list[Article]) -> list[str]:
    return [a.key for a in found]


@pytest.mark.parametrize("query, expected", [
    ("社会保障卡", "social-security-card"),   # 3+ characters: the trigram index
    ("停水", "water-outage"),                 # 2 characters: LIKE
    ("路灯 报修", "street-light"),            # every word must match
    ("燃气泄漏", "gas-leak-and-service"),
])
def test_chinese_queries_find_the_article(kb, query, expected):
    assert expected in keys(kb.search(query, NOW))


def test_titles_that_match_come_first(kb):
    assert keys(kb.search("停水", NOW))[0] == "water-outage"


def test_only_articles_valid_at_the_time_are_found(kb):
    assert "flood-season-2020" in keys(kb.search("积水", at("2020-07-20 10:00")))
    assert "flood-season-2020" not in keys(kb.search("积水", at("2020-10-01 00:00")))
    assert "flood-season-2020" not in keys(kb.search("积水", at("2020-05-31 23:59")))


@pytest.mark.parametrize("query", ['"', "100%", "a_b", "NEAR(", "社保卡 OR *", "\\", "'; DROP TABLE x"])
def test_query_text_is_never_query_syntax(kb, query):
    assert isinstance(kb.search(query, NOW), list)


def test_reimport_updates_by_key_and_the_index_follows(kb):
    text = (REPO / "kb" / "library-hours.md").read_text(encoding="utf-8")
    article = parse_article(text, "library-hours.md", CST)
    assert kb.upsert(article, NOW) == "unchanged"
    changed = parse_article(text.replace("周一闭馆", "周一照常开放"), "library-hours.md", CST)
    assert kb.upsert(changed, NOW) == "updated"
    assert keys(kb.search("周一照常开放", NOW)) == ["library-hours"]
    assert kb.search("周一闭馆", NOW) == []
    assert kb.count() == 17


@pytest.mark.parametrize("text, message", [
    ("no front matter", "no front matter"),
    ("---\nkey: A B\ntitle: x\n---\nbody", "key 'A B'"),
    ("---\nkey: a\ntitle: x\ncolour: red\n---\nbody", "unknown field"),
    ("---\nkey: a\ntitle: x\nvalid_from: soon\n---\nbody", "not a date"),
    ("---\nkey: a\ntitle: x\n---\n", "body must be"),
])
def test_bad_files_are_named_with_the_reason(text, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        parse_article(text, "bad.md", CST)
