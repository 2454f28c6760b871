"""``ivr tickets``, ``ivr report``, ``ivr recordings verify`` and ``ivr db upgrade``.

The supervisors' and auditors' tools. Each command opens the store named by the settings
(``IVR_DATABASE_URL``, else SQLite under ``IVR_DATA_DIR``), migrating a fresh database first, and
takes "now" from ``IVR_CLOCK`` when set (dry runs, tests), else from the system clock. Who took a
step is the operating-system account running the command (not a name typed on the command line:
the staff console brings personal logins). There is no command to set a citizen's rating: only
the caller's own key press on the call counts (it arrives over AMI).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime, time, timedelta

import click

from ivr import recordings as manifest
from ivr.core import kpi
from ivr.core.deadlines import Category
from ivr.core.rules import Rules
from ivr.core.workflow import Event, Status
from ivr.logs import configure
from ivr.rules_file import load_rules
from ivr.settings import Settings
from ivr.store import TicketStore, store_for
from ivr.store.engine import create, upgrade
from ivr.store.tickets import Ticket

_CATEGORIES = click.Choice([c.value for c in Category])
_STATUSES = click.Choice([s.value for s in Status])


class Context:
    """What every command needs, opened lazily: settings, rules, store, clock."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._rules: Rules | None = None
        self._store: TicketStore | None = None
        self._clock = None

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = load_rules(self.settings.rules_path)
        return self._rules

    @property
    def store(self) -> TicketStore:
        if self._store is None:
            self._store = store_for(self.settings, self.rules)
        return self._store

    @property
    def tz(self):
        return self.rules.centre.timezone

    def now(self) -> datetime:
        """The engine's one clock: IVR_CLOCK (ISO; naive means the centre's zone) or the system's."""
        if self._clock is None:
            from ivr.clock import make_clock
            self._clock = make_clock(self.settings.clock, self.tz)
        return self._clock().astimezone(self.tz)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _context() -> Context:
    configure(level=logging.DEBUG if os.environ.get("IVR_DEBUG") else logging.WARNING)
    ctx = click.get_current_context()
    obj = ctx.find_object(Context)
    if obj is None:
        obj = Context()
        ctx.call_on_close(obj.close)
        ctx.obj = obj
    return obj


def os_user() -> str:
    """The operating-system account running this process (its uid's name; not $USER, which anyone
    can set)."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid{os.getuid()}"


# --- ivr tickets ----------------------------------------------------------------------------

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
    c = _context()
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
        click.echo(f"{t.number:<23} {_short(t.created_at, c):<16} {t.line:<13} {o.status.value:<10} "
                   f"{(o.unit or '-'):<20} {_short(o.due, c):<16} {flags}")



@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
def show(number: str, as_json: bool) -> None:
    """Show one work order with its whole history."""
    c = _context()
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
    c = _context()
    if unit not in c.rules.departments:
        raise click.BadParameter(f"unknown unit {unit!r}; units are the department ids in "
                                 f"{c.settings.rules_path} (e.g. {', '.join(list(c.rules.departments)[1:6])})",
                                 param_hint="--unit")
    _step(number, Event.DISPATCH, unit=unit, category=category, urgent=urgent, note=note)


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
    c = _context()
    if unit and unit not in c.rules.departments:
        raise click.BadParameter(f"unknown unit {unit!r}", param_hint="--unit")
    _step(number, Event.REVIEW, passed=passed, note=note, unit=unit)


@tickets.command("escalate")
@click.argument("number")
@click.option("--reason", required=True)
def escalate(number, reason) -> None:
    """Put an open order on the supervision list by hand."""
    _step(number, Event.ESCALATE, reason=reason)


@tickets.command("sweep")
@click.option("--every", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Keep running, sweeping every SECONDS, until interrupted (a service).")
def sweep(every: float | None) -> None:
    """Mark missed deadlines and escalate those orders, once (the scheduler's job)."""
    from ivr.scheduler import build_scheduler, run_sweep  # the scheduler's own job

    c = _context()
    if every is not None:
        from apscheduler.schedulers.blocking import BlockingScheduler

        click.echo(f"sweeping every {every:g} s; Ctrl-C to stop", err=True)
        build_scheduler(c.store, c.now, interval_s=every, scheduler=BlockingScheduler(timezone=c.tz)).start()
        return
    taken = run_sweep(c.store, c.now)
    for number, step in taken:
        click.echo(f"{number}: {step}")
    click.echo(f"{len(taken)} step(s)")


def _step(number: str, event: Event, **data) -> None:
    c = _context()
    clean = {k: v for k, v in data.items() if v is not None}
    ticket = c.store.apply(number, event, os_user(), c.now(), **clean)
    o = ticket.order
    extra = f", due {_short(o.due, c)}" if event in (Event.DISPATCH, Event.REVIEW) and o.due else ""
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


def _short(moment: datetime | None, c: Context) -> str:
    return "-" if moment is None else moment.astimezone(c.tz).strftime("%Y-%m-%d %H:%M")


# --- ivr report -----------------------------------------------------------------------------

@click.command("report")
@click.option("--from", "from_", type=click.DateTime(["%Y-%m-%d"]), help="First day (centre's time).")
@click.option("--to", "to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rates as fractions).")
def report(from_: datetime | None, to: datetime | None, as_json: bool) -> None:
    """Calls, work orders and their rates, in total, per line, per department and per unit."""
    c = _context()
    first, last = (from_.date() if from_ else None), (to.date() if to else None)
    if first and last and last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    since = _start(first, c) if first else None
    until = _start(last + timedelta(days=1), c) if last else None
    calls, orders = c.store.report_facts(since, until)
    built = kpi.build_report(calls, orders)
    if as_json:
        data = {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
                **built.as_dict()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    span = f"{first or 'start'} .. {last or 'today'}"
    t = built.total
    click.echo(f"{c.rules.centre.name_en}: {span}")
    click.echo(f"  calls offered {t.offered}, answered {t.answered}, abandoned {t.abandoned}: "
               f"connection rate {kpi.percent(t.connection_rate)}")
    click.echo(f"  work orders received {t.received}: on the spot {t.on_the_spot} "
               f"({kpi.percent(t.on_the_spot_rate)}), dispatched {t.dispatched}")
    click.echo(f"  replied {t.replied}, on time {t.on_time} ({kpi.percent(t.on_time_rate)}); "
               f"average satisfaction {_avg(t.average_satisfaction)} over {t.rated} rating(s)")
    _table("per line", built.by_line, c)
    _table("per unit (dispatched orders)", built.by_unit, c)


def _table(title: str, groups: dict[str, kpi.Figures], c: Context) -> None:
    if not groups:
        return
    click.echo(f"\n{title}:")
    click.echo(f"  {'':<22} {'offered':>8} {'answered':>8} {'conn.':>9} {'received':>8} {'on spot':>9} "
               f"{'dispatched':>10} {'on time':>9} {'satisf.':>7}")
    for key, f in groups.items():
        click.echo(f"  {key:<22} {f.offered:>8} {f.answered:>8} {kpi.percent(f.connection_rate):>9} "
                   f"{f.received:>8} {kpi.percent(f.on_the_spot_rate):>9} {f.dispatched:>10} "
                   f"{kpi.percent(f.on_time_rate):>9} {_avg(f.average_satisfaction):>7}")


def _avg(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _start(day: date, c: Context) -> datetime:
    return datetime.combine(day, time(0), tzinfo=c.tz)


# --- ivr recordings -------------------------------------------------------------------------

@click.group()
def recordings() -> None:
    """Call recordings and their append-only manifest."""


@recordings.command("verify")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Default: IVR_RECORDINGS_DIR.")
@click.option("--no-tickets", is_flag=True, help="Do not cross-check the work orders' recording fields.")
@click.option("--json", "as_json", is_flag=True)
def verify(directory: str | None, no_tickets: bool, as_json: bool) -> None:
    """Check every listed recording is present and unchanged, and nothing is unlisted. Exit 1 if not."""
    from pathlib import Path

    c = _context()
    base = Path(directory) if directory else c.settings.recordings_dir
    expected = [] if no_tickets else _ticket_recordings(c, base)
    result = manifest.verify(base, expected)
    if as_json:
        click.echo(json.dumps({"dir": str(base), **result.as_dict()}, ensure_ascii=False, indent=2))
    else:
        for label, items in (("missing", result.missing), ("altered", result.altered),
                             ("unlisted", result.unlisted), ("problem", result.problems)):
            for item in items:
                click.echo(f"{label}: {item}")
        verdict = "OK" if result.ok else "PROBLEMS FOUND"
        click.echo(f"{base}: {result.checked} listed recording(s) checked: {verdict}")
    if not result.ok:
        raise click.exceptions.Exit(1)


def _ticket_recordings(c: Context, base) -> list[manifest.TicketRecording]:
    out = []
    for number, path, sha, size in c.store.recordings():
        try:
            rel = manifest.relative_path(base, path)
        except manifest.ManifestError:
            rel = path  # reported as "not in the manifest" by verify
        out.append(manifest.TicketRecording(number, rel, sha, size))
    return out


# --- ivr db ---------------------------------------------------------------------------------

@click.group()
def db() -> None:
    """The ticket database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ticket database to the newest schema."""
    _context()
    settings = Settings.from_env()
    engine = create(settings.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where}: already at {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'empty'} to {after}")
