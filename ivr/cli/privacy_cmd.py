"""``ivr privacy export|erase --number N``: what the centre holds about one telephone number, and
erasing what the law and the retention rules let go (:mod:`ivr.store.citizen_data`). Both are
written to the access log, as a look at a citizen's matter by staff is (who: the system user)."""
from __future__ import annotations

import json

import click

from ivr.cli.context import command_context, os_user
from ivr.core.masking import mask_number


def _record(c, action: str, number: str, result: str) -> list[dict]:
    """The access-log entry of this export or erasure; returns the entries about the orders."""
    from ivr.access_log import AccessLog, log_path
    from ivr.store.audit import AuditStore

    journal = AccessLog(log_path(c.settings.data_dir), AuditStore(c.store.engine, c.tz))
    journal.append(at=c.now(), user=os_user(), role="cli", address="local", action=action,
                   what=f"number {mask_number(number)}", result=result)
    return journal.entries(limit=10_000)


@click.group()
def privacy() -> None:
    """A citizen's data: export everything held about a number, erase what may go."""


@privacy.command("export")
@click.option("--number", required=True, help="The citizen's telephone number.")
def export(number: str) -> None:
    """Everything held about NUMBER as JSON: orders (ratings, recordings), queue calls, routed
    calls, callback requests, and the access-log entries about its orders."""
    from ivr.store.citizen_data import held_about

    c = command_context()
    held = held_about(c.store.engine, number)
    orders = {o["number"] for o in held["orders"]}
    entries = _record(c, "export", number, f"{len(orders)} order(s)")
    held["access_log"] = [e for e in entries if any(n in str(e.get("what", "")) for n in orders)]
    click.echo(json.dumps(held, ensure_ascii=False, indent=2))


@privacy.command("erase")
@click.option("--number", required=True, help="The citizen's telephone number.")
def erase(number: str) -> None:
    """Erase NUMBER where the law and the retention rules let it go; say what was kept and why."""
    from ivr.store.citizen_data import erase as erase_number

    c = command_context()
    done = erase_number(c.store.engine, number, c.now())
    summary = ", ".join(f"{k} {v}" for k, v in done.counts.items())
    _record(c, "erase", number, summary[:200])
    click.echo(f"erased {mask_number(number)}: {summary}")
    for order, why in done.kept:
        click.echo(f"  kept {order}: {why}")
