"""``ivr tickets``: list and show work orders, and take them through the process.

The supervisors' tools at the shell. Who took a step is the operating-system account running the
command (not a name typed on the command line: the staff console brings personal logins). There
is no command to set a citizen's rating: only the caller's own key press on the call counts (it
arrives over AMI). ``ivr tickets intake`` (:mod:`ivr.cli.intake_cmd`) shows the pipeline.
"""
from __future__ import annotations

import json
import signal
import threading

import click

from ivr.cli.context import Context, command_context, os_user, short_time
from ivr.core.deadlines import Category
from ivr.core.workflow import Event, Status
from ivr.store.ticket import Ticket

_CATEGORIES = click.Choice([c.value for c in Category])
_STATUSES = click.Choice([s.value for s in Status])


@click.group()
def tickets() -> None:
    """Work orders: list, show, and take them through the process."""


@tickets.command("list")
@click.option("--status", type=_STATUSES, help="Only orders in this state.")
@click.option("--unit", help="Only orders dispatched to this unit (department id).")
@click.option("--department", help="Only orders taken in on this department's lines.")
@click.option("--overdue", is_flag=True, help="Only orders past a deadline.")
@click.option("--supervision", is_flag=True, help="The supervision list: open orders escalated or re-dispatched.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one list).")
def list_(status, unit, department, overdue, supervision, limit, as_json) -> None:
    """List work orders, newest first."""
    c = command_context()
    found = c.store.list(status=status, unit=unit, department=department, overdue=True if overdue else None,
                         supervision=supervision, limit=limit)
    if as_json:
        click.echo(json.dumps([t.to_dict(c.tz) for t in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no work orders")
        return
    click.echo(f"{'number':<23} {'taken in':<16} {'line':<13} {'status':<10} {'unit':<20} {'deadline':<16} flags")
    for t in found:
        o = t.order
        flags = ",".join(name for name, on in (("urgent", o.urgent), ("overdue", o.overdue),
                                                ("sign-late", o.sign_late), ("escalated", o.escalated),
                                                ("supervised", o.supervised)) if on)
        click.echo(f"{t.number:<23} {short_time(t.created_at, c):<16} {t.line:<13} {o.status.value:<10} "
                   f"{(o.unit or '-'):<20} {short_time(o.due, c):<16} {flags}")



@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
def show(number: str, as_json: bool) -> None:
    """Show one work order with its whole history."""
    c = command_context()
    ticket = c.store.get(number)
    _print_ticket(ticket, c, as_json)


@tickets.command("close")
@click.argument("number")
@click.option("--category", type=_CATEGORIES, help="What the call was about.")
@click.option("--note", help="What the agent answered.")
def close(number, category, note) -> None:
    """The agent answered on the spot: close the order at intake."""
    _step(number, Event.CLOSE, category=category, note=note)


@tickets.command("dispatch")
@click.argument("number")
@click.option("--unit", required=True, help="The responsible unit (department id from the rules).")
@click.option("--category", type=_CATEGORIES, required=True, help="Sets the deadline.")
@click.option("--urgent", is_flag=True, help="Urgent matter: due within 24 hours.")
@click.option("--note", help="What the unit must do.")
def dispatch(number, unit, category, urgent, note) -> None:
    """Send the order to the responsible unit, with its deadlines."""
    _check_unit(unit)
    _step(number, Event.DISPATCH, unit=unit, category=category, urgent=urgent, note=note)


def _check_unit(unit: str) -> None:
    """The unit must be one an order may go to (the core's rule, the console's too)."""
    from ivr.core.dispatch_units import unit_problem

    problem = unit_problem(command_context().rules, unit)
    if problem:
        raise click.BadParameter(problem, param_hint="--unit")


@tickets.command("sign")
@click.argument("number")
@click.option("--note")
def sign(number, note) -> None:
    """The unit signs for the order."""
    _step(number, Event.SIGN, note=note)


@tickets.command("reply")
@click.argument("number")
@click.option("--text", required=True, help="The unit's result, as told to the citizen.")
def reply(number, text) -> None:
    """The unit replies with its result."""
    _step(number, Event.REPLY, text=text)


@tickets.command("review")
@click.argument("number")
@click.option("--pass/--fail", "passed", required=True, help="Archive the order, or dispatch it again.")
@click.option("--note", help="The supervisor's reasons.")
@click.option("--unit", help="On --fail: dispatch to another unit instead.")
def review(number, passed, note, unit) -> None:
    """A supervisor reviews the reply: pass archives it, fail dispatches it again under supervision."""
    if unit:
        _check_unit(unit)
    _step(number, Event.REVIEW, passed=passed, note=note, unit=unit)


@tickets.command("escalate")
@click.argument("number")
@click.option("--reason", required=True)
def escalate(number, reason) -> None:
    """Put an open order on the supervision list by hand."""
    _step(number, Event.ESCALATE, reason=reason)


@tickets.command("redispatch")
@click.argument("number")
@click.option("--unit", help="Another responsible unit (default: the same one).")
@click.option("--note", help="The supervisor's reasons.")
def redispatch(number, unit, note) -> None:
    """A supervisor sends a dispatched or signed order again, with new deadlines, under supervision."""
    if unit:
        _check_unit(unit)
    _step(number, Event.REDISPATCH, unit=unit, note=note)


@tickets.command("callback")
@click.argument("number")
@click.option("--reached/--not-reached", default=True, show_default=True, help="Whether the citizen answered.")
@click.option("--note", help="What the citizen said.")
def callback(number, reached, note) -> None:
    """Record a call back (回访) to a citizen who rated the handling 1 or 2."""
    _step(number, Event.CALLBACK, reached=reached, note=note)


@tickets.command("sweep")
@click.option("--every", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Keep running, sweeping every SECONDS, until interrupted (a service).")
def sweep(every: float | None) -> None:
    """Mark missed deadlines and escalate those orders, once (the scheduler's job)."""
    from ivr.scheduler import build_scheduler, run_sweep  # the scheduler's own job

    c = command_context()
    if every is not None:
        click.echo(f"sweeping every {every:g} s; Ctrl-C to stop", err=True)
        if _serve_until_signalled(build_scheduler(c.store, c.now, interval_s=every)) == signal.SIGINT:
            raise SystemExit(130)
        return
    taken = run_sweep(c.store, c.now)
    for number, step in taken:
        click.echo(f"{number}: {step}")
    click.echo(f"{len(taken)} step(s)")


def _serve_until_signalled(scheduler) -> int:
    """Run ``scheduler`` (a background one) until SIGINT or SIGTERM, then shut it down, letting a
    sweep in progress finish; the signal's number. The signal handler only sets a flag: an
    exception raised by Ctrl-C inside the scheduler's own loop could leave one of its locks held
    and the exit waiting forever on a sweep thread that needs it."""
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler.start()
        while not stop.wait(0.5):
            pass
        scheduler.shutdown(wait=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[0]


def _step(number: str, event: Event, **data) -> None:
    c = command_context()
    clean = {k: v for k, v in data.items() if v is not None}
    ticket = c.store.apply(number, event, os_user(), c.now(), **clean)
    o = ticket.order
    extra = f", due {short_time(o.due, c)}" if event in (Event.DISPATCH, Event.REVIEW, Event.REDISPATCH) and o.due \
        else ""
    click.echo(f"{ticket.number}: {o.status.value}{extra}")


def _print_ticket(t: Ticket, c: Context, as_json: bool) -> None:
    data = t.to_dict(c.tz)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    department = c.rules.departments.get(t.department)
    unit = c.rules.departments.get(t.order.unit or "")
    click.echo(f"work order {t.number}")
    rows = [("status", data["status"]), ("taken in", data["created_at"]),
            ("line", f"{t.line} ({t.mode}, {department.name_zh if department else t.department})"),
            ("caller", t.caller), ("queue / agent", f"{t.queue or '-'} / {t.agent or '-'}"),
            ("call", t.linkedid), ("category", data["category"]),
            ("unit", f"{t.order.unit} ({unit.name_zh})" if unit else t.order.unit),
            ("urgent", "yes" if t.order.urgent else None), ("sign by", data["sign_by"]),
            ("deadline", data["deadline"]), ("rating", data["rating"]),
            ("recording", t.recording_path), ("title", t.order.title), ("description", t.order.description),
            ("place", t.order.place), ("kb article", t.order.article),
            ("flags", ", ".join(k for k in ("overdue", "sign_late", "escalated", "supervised") if data[k]))]
    for label, value in rows:
        if value not in (None, ""):
            click.echo(f"  {label:<14} {value}")
    click.echo(f"  {'allowed now':<14} {', '.join(data['allowed']) or '-'}")
    click.echo("  history:")
    for entry in data["history"]:
        details = " ".join(f"{k}={v}" for k, v in entry["data"].items())
        click.echo(f"    {entry['at']}  {entry['event']:<12} by {entry['actor']}  {details}")

