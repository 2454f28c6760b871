"""Recording replay for auditors (录音调听): search, the recording's page, play and download.

Only the auditor role reaches these addresses (an agent or a supervisor gets 403). Every search,
play and download is appended to the access log (:mod:`ivr.access_log`) in the request's handler,
with who, from which address and the result; an access that cannot be logged is refused.

The file served is the one the work order names, checked to lie inside the recordings directory
(:func:`ivr.recordings.check_recording`): no part of a request ever becomes a path. Playing from
the start (no ``Range``, or ``bytes=0-``) hashes the file and compares it with the manifest, so an
altered recording is found when it is played; a seek (a range further on) is held against the
manifest (a removed recording is never served) without hashing the file again.
Range requests are Starlette's ``FileResponse`` (206, 416 for a range past the end, 400 for a
malformed one).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ivr import recordings
from ivr.core.staff import Role
from ivr.core.text import printable
from ivr.settings import RECORDING_FORMATS
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web import labels
from ivr.web.audit import audit_store, record, sheet_or_none
from ivr.web.auth import page
from ivr.web.orders import order_in_address
from ivr.web.render import error_page, render
from ivr.web.media import media_of
from ivr.web.replay_flags import check_of

R = labels.REPLAY
LIMIT = 200
FILTERS = ("from", "to", "line", "department", "agent", "caller", "number")
_RANGE_START = re.compile(r"\s*bytes\s*=\s*(\d+)\s*-")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(R["bad_dates"]) from None


def read_filters(query, tz) -> tuple[dict[str, str], dict]:
    """(the filters as typed, the store's arguments); ValueError with a message to show."""
    typed = {name: printable(query.get(name, ""), 64).strip() for name in FILTERS}
    first, last = _day(typed["from"]), _day(typed["to"])
    if first and last and last < first:
        raise ValueError(R["bad_dates"])
    args = {name: typed[name] or None for name in ("line", "department", "agent", "caller", "number")}
    args["since"] = datetime.combine(first, time(0), tzinfo=tz) if first else None
    args["until"] = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz) if last else None
    return typed, args


@page(Role.AUDITOR)
def search(request: Request, user: User) -> Response:
    console = request.app.state.console
    today = console.now().date().isoformat()
    context = {"filters": {"from": today, "to": today}, "results": None, "problem": "", "limit": LIMIT}
    if request.query_params.get("q"):
        try:
            typed, args = read_filters(request.query_params, console.tz)
        except ValueError as err:
            context.update(filters=dict(request.query_params), problem=str(err))
            return render(request, "recordings.html", status=422, **context, **_choices(console))
        results = console.store.with_recordings(**args, limit=LIMIT)
        what = "; ".join(f"{k}={v}" for k, v in typed.items() if v) or "(no filter)"
        refused = record(request, user, "search", what, f"{len(results)} found")
        if refused:
            return refused
        context.update(filters=typed, results=results)
    return render(request, "recordings.html", **context, **_choices(console))


def _choices(console) -> dict:
    rules = console.rules
    return {"departments": rules.departments, "agents": list(rules.agents), "lines": rules.lines}


@page(Role.AUDITOR)
@order_in_address
def recording_page(request: Request, user: User, console, ticket: Ticket) -> Response:
    return show(request, ticket)


def show(request: Request, ticket: Ticket, problem: str = "", status: int = 200, typed=None) -> Response:
    """The recording's page: the order, the player, the manifest check done now, holds, scores."""
    console = request.app.state.console
    checked = recordings.check_recording(console.settings.recordings_dir, ticket.recording_path) \
        if ticket.recording_path else None
    audit = audit_store(console)
    path = checked.path if checked else ""
    keep = console.settings.recordings_keep_days
    removal_date = None
    if keep and checked and checked.entry:
        try:
            removal_date = datetime.fromisoformat(checked.entry.at) + timedelta(days=keep)
        except ValueError:
            removal_date = None
    return render(request, "recording.html", status=status, ticket=ticket, order=ticket.order, checked=checked,
                  holds=audit.holds(path) if path else [], scores=audit.scores(number=ticket.number),
                  sheet=sheet_or_none(console), keep_days=keep, removal_date=removal_date,
                  departments=console.rules.departments, checked_at=console.now(),
                  recording_check=check_of(console, ticket.number), media_check=media_of(console, ticket.number),
                  notice=request.session.pop("flash", None), problem=problem, typed=typed or {})


@page(Role.AUDITOR)
@order_in_address
def audio(request: Request, user: User, console, ticket: Ticket) -> Response:
    """The recording itself, for the page's player (ranges) or as a download."""
    download = request.query_params.get("download") == "1"
    if not ticket.recording_path:
        return record(request, user, "download" if download else "play", ticket.number, "no recording") or \
            error_page(request, 404, message=labels.CHECK["none"])
    start = _range_start(request.headers.get("range"))
    if start and not download:  # a seek: held against the manifest like a play, not hashed again
        checked = recordings.check_recording(console.settings.recordings_dir, ticket.recording_path, hashed=False)
        refused = record(request, user, "seek", f"{ticket.number} bytes {start}-", checked.status)
        if refused:
            return refused
        if not checked.playable:
            return error_page(request, 403 if checked.status == "outside" else 404,
                              message=labels.CHECK[checked.status])
        return _file(console, checked.path, ticket, download)
    checked = recordings.check_recording(console.settings.recordings_dir, ticket.recording_path)
    refused = record(request, user, "download" if download else "play", f"{ticket.number} {checked.path}",
                     checked.status)
    if refused:
        return refused
    if not checked.playable:
        return error_page(request, 403 if checked.status == "outside" else 404, message=labels.CHECK[checked.status])
    return _file(console, checked.path, ticket, download)


def _file(console, rel: str, ticket: Ticket, download: bool) -> Response:
    path = console.settings.recordings_dir.resolve() / rel
    if not path.is_file():
        return Response(status_code=404)
    headers = {"Cache-Control": "no-store"}
    media_type = RECORDING_FORMATS.get(path.suffix.lstrip("."), "application/octet-stream")
    if download:
        return FileResponse(path, media_type=media_type, headers=headers, filename=f"{ticket.number}{path.suffix}")
    return FileResponse(path, media_type=media_type, headers=headers)


def _range_start(header: str | None) -> int:
    """Where a ``Range: bytes=N-...`` request starts (0 for none or a malformed one)."""
    match = _RANGE_START.match(header or "")
    return int(match.group(1)[:15]) if match else 0


routes = [
    Route("/recordings", search, methods=["GET"]),
    Route("/recordings/{number}", recording_page, methods=["GET"]),
    Route("/recordings/{number}/audio", audio, methods=["GET"]),
]
