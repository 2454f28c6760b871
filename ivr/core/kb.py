"""Knowledge-base articles (知识库) as values, read from Markdown with a small YAML front matter.

A file in ``kb/`` looks like::

    ---
    key: water-outage            # stable: a re-import updates the article with this key
    title: 停水的查询与临时供水
    department: water            # a department id of the rules (optional)
    tags: [停水, 自来水]
    valid_from: 2020-01-01       # the centre's local dates; until is exclusive and optional
    valid_until: 2030-01-01
    ---
    The body, in Markdown, shown to the agent as plain text.

Pure: :func:`parse_article` takes the text and the centre's zone and returns an
:class:`Article` or raises :class:`~ivr.errors.KnowledgeBaseError` naming the file and field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

import yaml

from ivr.errors import KnowledgeBaseError

KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_QUERY = 100
_FIELDS = {"key", "title", "department", "tags", "valid_from", "valid_until", "sample"}


@dataclass(frozen=True)
class Article:
    key: str
    title: str
    body: str
    department: str | None = None
    tags: tuple[str, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # exclusive
    source: str = ""

    def valid_at(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and \
            (self.valid_until is None or now < self.valid_until)

    @property
    def search_text(self) -> str:
        """What the search looks in: title, tags and body, one line each."""
        return "\n".join([self.title, " ".join(self.tags), self.body])


def parse_article(text: str, source: str, tz: tzinfo) -> Article:
    """The article in ``text`` (a Markdown file's content); ``source`` names it in messages."""
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", text, re.S)
    if not match:
        raise KnowledgeBaseError(f"{source}: no front matter (the file must start with a '---' line, "
                                 "YAML fields, and a closing '---' line)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as err:
        raise KnowledgeBaseError(f"{source}: the front matter is not YAML: {err}") from None
    if not isinstance(meta, dict):
        raise KnowledgeBaseError(f"{source}: the front matter must be YAML fields (key: value)")
    unknown = sorted(set(map(str, meta)) - _FIELDS)
    if unknown:
        raise KnowledgeBaseError(f"{source}: unknown field(s) {', '.join(unknown)}; "
                                 f"fields are: {', '.join(sorted(_FIELDS))}")
    key = str(meta.get("key") or "").strip()
    if not KEY.fullmatch(key):
        raise KnowledgeBaseError(f"{source}: key {key!r} must be 1 to 64 lower-case letters, digits, "
                                 "'.', '_' or '-' (it identifies the article across imports)")
    title = str(meta.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise KnowledgeBaseError(f"{source}: title must be 1 to {MAX_TITLE} characters")
    body = match.group(2).strip()
    if not body or len(body) > MAX_BODY:
        raise KnowledgeBaseError(f"{source}: the body must be 1 to {MAX_BODY} characters")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t for t in re.split(r"[,，\s]+", tags) if t]
    if not isinstance(tags, list):
        raise KnowledgeBaseError(f"{source}: tags must be a list")
    valid_from = _day(meta.get("valid_from"), "valid_from", source, tz)
    valid_until = _day(meta.get("valid_until"), "valid_until", source, tz)
    if valid_from and valid_until and valid_until <= valid_from:
        raise KnowledgeBaseError(f"{source}: valid_until must come after valid_from")
    department = str(meta["department"]).strip() if meta.get("department") else None
    return Article(key=key, title=title, body=body, department=department,
                   tags=tuple(str(t).strip()[:50] for t in tags if str(t).strip()),
                   valid_from=valid_from, valid_until=valid_until, source=source)


def query_terms(query: str) -> list[str]:
    """The words of a search box's text: split on spaces (both widths), bounded, no empties."""
    text = (query or "")[:MAX_QUERY]
    return [t for t in re.split(r"[\s\u3000]+", text) if t][:8]


def _day(value, name: str, source: str, tz: tzinfo) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz)
    try:
        return datetime.combine(date.fromisoformat(str(value)), time(0), tzinfo=tz)
    except ValueError:
        raise KnowledgeBaseError(f"{source}: {name} {value!r} is not a date like 2020-06-01") from None
