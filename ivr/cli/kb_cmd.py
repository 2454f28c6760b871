"""``ivr kb``: load the knowledge base from Markdown files and try a search."""
from __future__ import annotations

import time
from pathlib import Path

import click

from ivr.cli.context import command_context
from ivr.core.kb import parse_article
from ivr.errors import KnowledgeBaseError
from ivr.settings import REPO_ROOT
from ivr.store.kb import KnowledgeBase


def knowledge_base() -> KnowledgeBase:
    c = command_context()
    return KnowledgeBase(c.store.engine, c.tz)


@click.group()
def kb() -> None:
    """The knowledge base agents search to answer on the spot."""


@kb.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=REPO_ROOT / "kb")
def import_(folder: Path) -> None:
    """Add or update the articles in FOLDER's *.md files (default: the repository's kb/).

    Idempotent: an article is keyed by its front matter's `key`; importing again updates it.
    Every bad file is reported and nothing of it is loaded; the exit code is 1 if any was bad.
    """
    c = command_context()
    if not folder.is_dir():
        raise click.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    base = knowledge_base()
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    problems = []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            text = path.read_text(encoding="utf-8")
            article = parse_article(text, path.name, c.tz)
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{path.name}: cannot read the file: {err}")
            continue
        except KnowledgeBaseError as err:
            problems.append(str(err))
            continue
        if article.department and article.department not in c.rules.departments:
            problems.append(f"{path.name}: department {article.department!r} is not in the rules")
            continue
        counts[base.upsert(article, c.now())] += 1
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{folder}: {counts['added']} added, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {len(problems)} refused")
    if problems:
        raise click.exceptions.Exit(1)


@kb.command("search")
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
def search(query: str, limit: int) -> None:
    """Articles valid now (IVR_CLOCK) containing every word of QUERY."""
    c = command_context()
    base = knowledge_base()
    started = time.perf_counter()
    found = base.search(query, c.now(), limit=limit)
    took = (time.perf_counter() - started) * 1000
    for article in found:
        click.echo(f"{article.key:<28} {article.title}")
    click.echo(f"{len(found)} article(s) in {took:.1f} ms ({base.index}, {base.count()} articles)")
