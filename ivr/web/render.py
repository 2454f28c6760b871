"""Templates (Jinja2, autoescaped), and the small error pages (403, 404, 413, 500, 503).

Everything a person reads is rendered here from ``templates/`` with the labels of
:mod:`ivr.web.labels`; text typed by anyone is escaped on output, always.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ivr.core.masking import mask_number
from ivr.core.staff import sees_whole_numbers
from ivr.errors import IvrError
from ivr.web import charts, labels

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def environment(tz: tzinfo) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)

    def when(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "—" if moment is None else moment.astimezone(tz).strftime(fmt)

    def due(moment: datetime | None) -> str:
        """A deadline: one that falls at midnight is the end of the day before (24:00), as people
        read a deadline; "06-09 00:00" was taken for the end of the 9th."""
        if moment is None:
            return "—"
        local = moment.astimezone(tz)
        if (local.hour, local.minute, local.second) == (0, 0, 0):
            return (local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
        return local.strftime("%Y-%m-%d %H:%M")


    @pass_context
    def citizen(context, number: str | None) -> str:
        """A citizen's number as the page's user may see it: masked for admins (and for no one)."""
        user = context.get("user")
        if not number or (user is not None and sees_whole_numbers(user.role)):
            return number or ""
        return mask_number(number)

    env.filters["when"] = when
    env.filters["due"] = due
    env.filters["citizen"] = citizen
    env.globals.update(L=labels, T=labels.TEXT, E=labels.ERROR, charts=charts)
    return env


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` for ``request`` (its user and CSRF token are in every page)."""
    console = request.app.state.console
    session = request.scope.get("session") or {}
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf", session.get("csrf", ""))
    context.setdefault("centre", console.rules.centre)
    context.setdefault("browser_phone", lambda: is_browser_phone(context.get("user")))
    context.setdefault("staff", functools.partial(staff_names, console))
    html = console.templates.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def staff_names(console) -> dict[str, str]:
    """Phone id -> the staff member(s) bound to it, for pages that show who took a call (the
    accounts are few: read when a page asks)."""
    if console.users is None:
        return {}
    names: dict[str, list[str]] = {}
    for user in console.users.list():
        if user.phone and not user.disabled:
            names.setdefault(user.phone, []).append(user.name)
    return {phone: "、".join(sorted(people)) for phone, people in names.items()}


def is_browser_phone(user) -> bool:
    """Whether ``user``'s phone is the browser (``trunks/phones.yaml``'s ``webrtc``): only then is
    the 网页话机 page of any use to them. Read when a whole page asks, not for each fragment."""
    from ivr.asterisk.phones import load_phones
    from ivr.asterisk.service import trunks_dir

    if user is None or not user.phone:
        return False
    try:
        return user.phone in load_phones(trunks_dir()).webrtc
    except IvrError:  # an unreadable phones file: the link is no use either
        return False


def error_page(request: Request, status: int, message: str | None = None, **fmt: Any) -> HTMLResponse:
    """A small, complete page for an error status, in Chinese; never a half-rendered page."""
    title = labels.ERROR.get(f"{status}_title", labels.ERROR["500_title"])
    text = message or labels.ERROR.get(f"{status}_text", labels.ERROR["500_text"]).format(**fmt)
    return render(request, "error.html", status=status, title=title, text=text)
