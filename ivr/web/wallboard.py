"""The supervisors' wallboard (大屏, ``/wallboard``): queues, agents and today, live.

The page is rendered whole on load; the console's AMI feed then pushes ``wallboard`` events
(:mod:`ivr.ami.wallboard`) that replace its live part over server-sent events. The KPIs of today
and of this week (the same figures as ``ivr report``: :func:`ivr.core.kpi.build_report` over
:meth:`~ivr.store.TicketStore.report_facts`, and the missed calls called back,
:mod:`ivr.core.missed`) are fetched again with each live board (``/wallboard/kpi``).
Without an AMI feed (Asterisk down, ``ivr web`` with no console account) the page says so and
still shows today's figures from the database.
"""
from __future__ import annotations

import asyncio
import functools
import time
from datetime import timedelta

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core import kpi, wallboard
from ivr.core.staff import Role
from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.store.surges import SurgeStore
from ivr.store.users import User
from ivr.web.auth import page
from ivr.web.holiday_banner import calendar_warning
from ivr.web.render import environment, render

BOARD_TIMEOUT_S = 5.0
_environment = functools.lru_cache(maxsize=4)(environment)  # compiled templates, kept
PERIODS = ("today", "week")
REPORT_EVERY_S = {"today": 2.0, "week": 60.0}  # today: as often as the live board reads today's calls
_reports: dict[tuple, tuple[float, kpi.Report | None]] = {}  # (store, period, since) -> (read at, report)
log = get_logger("ivr.web.wallboard")


def current_board(console) -> tuple[wallboard.Board, bool]:
    """(the board now, whether Asterisk's feed is connected)."""
    monitor = console.presence
    if monitor is not None and console.loop is not None:
        future = asyncio.run_coroutine_threadsafe(monitor.wallboard.board(), console.loop)
        return future.result(BOARD_TIMEOUT_S), monitor.logged_in.is_set()
    now = console.now()
    day = wallboard.day_start(now)
    try:
        today = console.store.calls_between(day, day + timedelta(days=1))
    except IvrError:
        today = None
    return wallboard.build(list(console.rules.queues), [], {}, today, wallboard.WaitingHistory(), now), False


def render_live(board: wallboard.Board, connected: bool, rules) -> Markup:
    """The wallboard's live part as HTML, rendered once per update for every open page (in the
    feed's worker thread: the event loop only passes it on)."""
    template = _environment(rules.centre.timezone).get_template("_wallboard_live.html")
    return Markup(template.render(board=board, connected=connected, rules=rules))


def kpis(console, period: str, show_all: bool = False) -> dict:
    """Today's and this week's totals, and the chosen period's figures per department and line.

    Each page asks again with every live board (up to four a second): a report is read from the
    database at most once per :data:`REPORT_EVERY_S` for all pages, today's as often as the board
    reads today's calls, so both show the same offered today."""
    now = console.now()
    day = wallboard.day_start(now)
    spans = {"today": (day, day + timedelta(days=1)), "week": (wallboard.week_start(now), day + timedelta(days=1))}
    reports, missed = {}, {}
    surges = SurgeStore(console.store.engine, console.store.tz)
    for name, (since, until) in spans.items():
        key = (id(console.store), name, since)
        read_at, cached = _reports.get(key, (float("-inf"), (None, None)))
        if time.monotonic() - read_at >= REPORT_EVERY_S[name]:
            try:
                cached = (kpi.build_report(*console.store.report_facts(since, until)),
                          surges.missed_figures(since, until))
            except IvrError as err:
                log.warning("wallboard.kpi_unavailable", error=str(err))
                cached = (None, None)
            _reports[key] = (time.monotonic(), cached)
        reports[name], missed[name] = cached
    chosen = reports[period]
    return {"reports": reports, "missed": missed, "period": period, "chosen": chosen, "at": now, "all": show_all,
            "lines": _active(chosen.by_line) if chosen else {},
            "departments": _active(chosen.by_department) if chosen else {}}


def _active(groups: dict[str, kpi.Figures]) -> dict[str, kpi.Figures]:
    """The groups with any call or order, busiest first."""
    busy = {k: f for k, f in groups.items() if f.offered or f.received}
    return dict(sorted(busy.items(), key=lambda item: (-item[1].offered, -item[1].received, item[0])))


@page(Role.SUPERVISOR)
def wallboard_page(request: Request, user: User) -> Response:
    console = request.app.state.console
    board, connected = current_board(console)
    return render(request, "wallboard.html", board=board, connected=connected, rules=console.rules,
                  kpi=kpis(console, "today"), calendar_warning=calendar_warning(console))


@page(Role.SUPERVISOR)
def kpi_part(request: Request, user: User) -> Response:
    console = request.app.state.console
    period = request.query_params.get("period", "today")
    show_all = request.query_params.get("all") == "1"
    return render(request, "_wallboard_kpi.html", kpi=kpis(console, period if period in PERIODS else "today", show_all),
                  rules=console.rules)


routes = [
    Route("/wallboard", wallboard_page, methods=["GET"]),
    Route("/wallboard/kpi", kpi_part, methods=["GET"]),
]
