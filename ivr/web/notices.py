"""Incident notices on the console (热点播报, ``/notices``): supervisors put a notice on lines or
queues for a window, and take it down. The same steps as ``ivr notices``
(:func:`ivr.notices_admin.put_up`, :class:`ivr.store.surges.SurgeStore`), with the logged-in
supervisor as the actor; a refusal (an unknown line, a window that ends before it starts, a
prompt that cannot be made) is shown with its reason, naming the field.
"""
from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.asterisk.layout import Layout
from ivr.core.staff import Role
from ivr.errors import IvrError
from ivr.notices_admin import parse_when, put_up
from ivr.store.surges import SurgeStore
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import page
from ivr.web.render import render

N = labels.NOTICES


def _surges(console) -> SurgeStore:
    return SurgeStore(console.store.engine)


@page(Role.SUPERVISOR)
def notices(request: Request, user: User) -> Response:
    console = request.app.state.console
    now = console.now()
    listed = _surges(console).notices(since=now)  # an ended one is no longer 播报中: listed apart
    return render(request, "notices.html", now=now,
                  notices=[n for n in listed if n.ended_at is None],
                  ended=[n for n in listed if n.ended_at is not None], queues=console.rules.queues,
                  default_from=now.astimezone(console.rules.centre.timezone).strftime("%Y-%m-%dT%H:%M"),
                  default_until=(now + timedelta(hours=4)).astimezone(console.rules.centre.timezone)
                  .strftime("%Y-%m-%dT%H:%M"),
                  flash=request.session.pop("flash", None), problem=request.session.pop("problem", None))


@page(Role.SUPERVISOR)
def add(request: Request, user: User) -> Response:
    console = request.app.state.console
    form = request.state.form
    tz = console.rules.centre.timezone
    back = RedirectResponse("/notices", status_code=303)
    try:
        lines = [x.strip() for x in form.get("lines", "").replace(",", "\n").splitlines() if x.strip()]
        queues = [q for q in console.rules.queues if form.get(f"queue_{q}")]
        record = put_up(_surges(console), console.rules, Layout.from_settings(console.settings),
                        lines=lines, queues=queues, starts_at=parse_when("from", form.get("from", ""), tz),
                        ends_at=parse_when("until", form.get("until", ""), tz), text=form.get("text", ""),
                        recording=None, by=user.name, now=console.now())
    except IvrError as err:
        request.session["problem"] = str(err)
        return back
    request.session["flash"] = N["added"].format(id=record.id)
    return back


@page(Role.SUPERVISOR)
def end(request: Request, user: User) -> Response:
    console = request.app.state.console
    try:
        record = _surges(console).end_notice(int(request.path_params["notice_id"]), user.name, console.now())
    except IvrError as err:
        request.session["problem"] = str(err)
        return RedirectResponse("/notices", status_code=303)
    request.session["flash"] = N["ended_done"].format(id=record.id)
    return RedirectResponse("/notices", status_code=303)


routes = [
    Route("/notices", notices, methods=["GET"]),
    Route("/notices", add, methods=["POST"]),
    Route("/notices/{notice_id:int}/end", end, methods=["POST"]),
]
