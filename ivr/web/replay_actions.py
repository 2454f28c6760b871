"""What an auditor records on a recording's page: a legal hold (and its release), and a quality
inspection score (质检) against the score sheet. Each is written to the access log too."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr import recordings
from ivr.core.staff import Role
from ivr.errors import QualityError
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web import labels
from ivr.web.audit import audit_store, record, sheet_or_none
from ivr.web.auth import page
from ivr.web.render import error_page
from ivr.web.orders import order_in_address
from ivr.web.replay import show

R = labels.REPLAY


@page(Role.AUDITOR)
@order_in_address
def hold(request: Request, user: User, console, ticket: Ticket) -> Response:
    """Put the order's recording under a legal hold (retention leaves it alone), or release it."""
    releasing = request.url.path.endswith("/release")
    try:
        path = recordings.relative_path(console.settings.recordings_dir, ticket.recording_path or "")
    except recordings.ManifestError:
        return error_page(request, 404, message=labels.CHECK["none"])
    reason = " ".join(request.state.form.get("reason", "").split())
    if not releasing and not reason:
        return show(request, ticket, problem=labels.ERROR["hold_reason"], status=422)
    refused = record(request, user, "release" if releasing else "hold", f"{ticket.number} {path}",
                     "ok" if releasing else reason[:200])
    if refused:
        return refused
    if releasing:
        audit_store(console).release(path, user.name, console.now())
    else:
        audit_store(console).hold(ticket.number, path, reason, user.name, console.now())
    request.session["flash"] = R["released"] if releasing else R["held"]
    return RedirectResponse(f"/recordings/{ticket.number}#holds", status_code=303)


@page(Role.AUDITOR)
@order_in_address
def score(request: Request, user: User, console, ticket: Ticket) -> Response:
    """Score the recorded call against the sheet, with a comment."""
    sheet = sheet_or_none(console)
    if sheet is None:
        return show(request, ticket, problem=labels.ERROR["no_sheet"], status=503)
    form = request.state.form
    marks = {c.id: form.get(f"m_{c.id}", "") for c in sheet.criteria}
    try:
        made = audit_store(console).add_score(sheet, ticket.number, ticket.agent or "", user.name, marks,
                                              form.get("comment", ""), console.now())
    except QualityError as err:
        return show(request, ticket, problem=_why(str(err), sheet), status=422, typed=form)
    refused = record(request, user, "score", ticket.number, f"{made.score:g}")
    if refused:
        return refused
    request.session["flash"] = R["scored"].format(score=f"{made.score:g}")
    return RedirectResponse(f"/recordings/{ticket.number}#quality", status_code=303)


def _why(message: str, sheet) -> str:
    """A refused score in the auditor's words: which criterion has no mark, or the comment's length."""
    for criterion in sheet.criteria:
        if f"({criterion.id})" in message:
            return labels.ERROR["mark_missing"].format(name=criterion.name_zh, scale=sheet.scale)
    return labels.ERROR["comment_too_long"] if "comment" in message else message


@page(Role.AUDITOR)
@order_in_address
def seek(request: Request, user: User, console, ticket: Ticket) -> Response:
    """The player moved to another moment (replay.js, on every ``seeked``): logged even when the
    browser had that part already and asked the server for nothing."""
    try:
        moment = max(0.0, float(request.state.form.get("at", "")))
    except ValueError:
        return Response(status_code=422)
    refused = record(request, user, "seek", f"{ticket.number} at {moment:.1f} s", "ok")
    return refused or Response(status_code=204)


routes = [
    Route("/recordings/{number}/hold", hold, methods=["POST"]),
    Route("/recordings/{number}/release", hold, methods=["POST"]),
    Route("/recordings/{number}/score", score, methods=["POST"]),
    Route("/recordings/{number}/seek", seek, methods=["POST"]),
]
