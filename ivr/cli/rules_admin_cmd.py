"""``ivr rules history|diff|preview|apply|rollback|status|audit``: the rules' lifecycle.

Each command opens the engine's database (``IVR_DATABASE_URL``), the actor is the OS account
running it (never a name typed on the command line), and apply and rollback print the version
each part now holds. A refusal exits 1 and says why; nothing was changed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import click

from ivr.cli.context import os_user
from ivr.cli.rules_views import (echo_audit, echo_diff, echo_history, echo_outcome, echo_parts,
                                 echo_preview)
from ivr.core.rules import Rules
from ivr.core.rules_diff import diff
from ivr.errors import IvrError, RulesError
from ivr.lifecycle.admin import Actor, Admin, open_admin
from ivr.logs import configure
from ivr.rules_file import read_text, rules_from_text
from ivr.settings import Settings

_VERSION = re.compile(r"^v?(\d{1,9})$")


def admin() -> Admin:
    """The admin's tools for this command (closed when the command ends)."""
    import logging

    from ivr.store import pre_upgrade_folder
    from ivr.store.engine import open_engine

    configure(level=logging.WARNING)
    ctx = click.get_current_context()
    found = ctx.find_object(Admin)
    if found is not None:
        return found
    settings = Settings.from_env()
    engine = open_engine(settings.database_url, backup_dir=pre_upgrade_folder(settings))
    ctx.call_on_close(engine.dispose)
    made = open_admin(settings, engine)
    ctx.obj = made
    return made


def actor() -> Actor:
    return Actor(os_user(), "cli")


def load(spec: str, tools: Admin) -> tuple[str, Rules, str]:
    """(text, rules, label) of a file path, or of a stored version written N or vN."""
    match = _VERSION.match(spec)
    if match and not Path(spec).exists():
        version, text = tools.versions.get(int(match.group(1)))
        return text, rules_from_text(text, f"version {version.number}"), f"version {version.number}"
    text = read_text(spec)
    return text, rules_from_text(text, spec), spec


def _message(message: str) -> str:
    message = (message or "").strip()
    if not message or len(message) > 500 or any(ord(c) < 32 for c in message):
        raise click.BadParameter("say why in one line of at most 500 characters", param_hint="-m")
    return message


@click.command("history")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def history(limit: int, as_json: bool) -> None:
    """Every version put in force (who, when, why), and the refused attempts, newest first."""
    tools = admin()
    tools.lifecycle.in_force()  # a hand edit nobody recorded yet becomes a version now
    versions = tools.versions.history(limit)
    refused = tools.versions.trail(limit, actions=("apply", "rollback"))
    refused = [e for e in refused if e.outcome == "refused"]
    if as_json:
        click.echo(json.dumps({"versions": [v.to_dict() for v in versions],
                               "refused": [e.to_dict() for e in refused]}, ensure_ascii=False, indent=1))
        return
    echo_history(versions, refused, tools.tz)


@click.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--json", "as_json", is_flag=True)
def diff_cmd(old: str | None, new: str | None, as_json: bool) -> None:
    """What changes for callers from OLD to NEW (files, or versions written vN).

    With one argument: from the rules in force to it. With none: what the last version changed."""
    tools = admin()
    if new is None and old is not None:
        old, new = None, old
    if new is None:
        tools.lifecycle.in_force()
        history = tools.versions.history(2)
        if len(history) < 2:
            raise IvrError("there is only one version so far: name a file to compare with")
        old, new = str(history[1].number), str(history[0].number)
    if old is None:
        _, before = tools.lifecycle.in_force()
        before_label = "the rules in force"
    else:
        _, before, before_label = load(old, tools)
    _, after, after_label = load(new, tools)
    changes = diff(before, after)
    if as_json:
        click.echo(json.dumps({"from": before_label, "to": after_label, "from_sha256": before.sha256,
                               "to_sha256": after.sha256, "changes": [c.to_dict() for c in changes]},
                              ensure_ascii=False, indent=1))
        return
    echo_diff(changes, before_label, after_label)


@click.command("preview")
@click.argument("new")
@click.option("--days", type=click.IntRange(1, 400), default=30, show_default=True,
              help="Replay the calls of the last DAYS days.")
@click.option("--horizon", type=click.IntRange(1, 400), default=90, show_default=True,
              help="List what is scheduled in the next HORIZON days.")
@click.option("--calls", "named", type=click.IntRange(0, 100_000), default=50, show_default=True,
              help="Name at most this many calls that would go elsewhere.")
@click.option("--json", "as_json", is_flag=True)
def preview_cmd(new: str, days: int, horizon: int, named: int, as_json: bool) -> None:
    """Replay the calls the engine routed through the rules in force and through NEW."""
    from ivr.lifecycle.preview import preview

    tools = admin()
    _, in_force = tools.lifecycle.in_force()
    _, candidate, label = load(new, tools)
    now = tools.clock()
    result = preview(tools.lifecycle.settings, tools.calls, in_force, candidate, now, days=days,
                     horizon=horizon, named=max(named, 1) if as_json else named)
    tools.versions.audit(actor().name, "preview", "ok", now, sha256=candidate.sha256,
                         message=f"{label}: {days} days",
                         detail={"calls": result.replay.calls, "elsewhere": result.replay.elsewhere,
                                 "seconds": round(result.seconds, 3)})
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    echo_preview(result, label, tools.tz, named)


def _finish(outcome, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1))
    else:
        echo_outcome(outcome)
    if not outcome.ok:
        raise click.exceptions.Exit(1)


@click.command("apply")
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("-m", "--message", required=True, help="Why: kept with the version and in the audit trail.")
@click.option("--json", "as_json", is_flag=True)
def apply_cmd(new: str, message: str, as_json: bool) -> None:
    """Check NEW, keep it as a version and put it in force in every part (or refuse, changing nothing)."""
    message = _message(message)
    tools = admin()
    try:
        text = read_text(new)
    except RulesError as err:
        text = None
        reason = str(err)
    if text is None:
        tools.versions.audit(actor().name, "apply", "refused", tools.clock(), message=message,
                             detail={"reason": reason})
        raise IvrError(f"refused: {reason}; nothing was changed")
    _finish(tools.lifecycle.apply(text, actor(), message, name=new), as_json)


@click.command("rollback")
@click.argument("version", required=False, type=int)
@click.option("-m", "--message", default="", help="Why (default: 'roll back to version N').")
@click.option("--json", "as_json", is_flag=True)
def rollback_cmd(version: int | None, message: str, as_json: bool) -> None:
    """Put an older version back in force everywhere (default: the one before the version in force)."""
    tools = admin()
    try:
        tools.lifecycle.in_force()
    except RulesError:
        pass  # a broken file on disk: rolling back is how it is mended
    _finish(tools.lifecycle.rollback(version, actor(), _message(message) if message else ""), as_json)


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
def status_cmd(as_json: bool) -> None:
    """The version of the rules each running part holds now (Asterisk's read from Asterisk)."""
    tools = admin()
    in_force = tools.versions.in_force()
    reports = tools.lifecycle.status()
    if as_json:
        click.echo(json.dumps({"in_force": in_force.to_dict() if in_force else None,
                               "parts": [r.to_dict() for r in reports]}, ensure_ascii=False, indent=1))
        return
    if in_force:
        click.echo(f"in force: version {in_force.number} ({in_force.sha256[:12]})")
    echo_parts(reports)


@click.command("audit")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def audit_cmd(limit: int, as_json: bool) -> None:
    """The audit trail of the rules: every step, who, when, what, why, newest first."""
    tools = admin()
    entries = tools.versions.trail(limit)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
        return
    echo_audit(entries, tools.tz)
