"""The auditors' access log in the console (page and CSV export, role auditor), and what every
replay handler shares: :func:`record` writes the handler's access-log entry, and when the log
cannot be written the access is refused (an access that leaves no trace must not happen).
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ivr.access_log import AccessLog, log_path
from ivr.core.staff import Role
from ivr.errors import AuditError, QualityError
from ivr.logs import get_logger
from ivr.quality_sheet import load_sheet
from ivr.store.audit import AuditStore
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import client_address, page
from ivr.web.render import error_page, render

PAGE_SIZE = 500
log = get_logger("ivr.web.audit")


def audit_store(console) -> AuditStore:
    return AuditStore(console.store.engine, console.tz)


def access_log(console) -> AccessLog:
    return AccessLog(log_path(console.settings.data_dir), audit_store(console))


def address_of(request: Request) -> str:
    return client_address(request)


def record(request: Request, user: User, action: str, what: str, result: str) -> Response | None:
    """Append the access to the log; an error page (503) when it cannot be written, else None."""
    console = request.app.state.console
    try:
        access_log(console).append(at=console.now(), user=user.name, role=user.role.value,
                                   address=address_of(request), action=action, what=what, result=result)
    except AuditError as err:
        log.error("audit.log_unwritable", user=user.name, action=action, error=str(err))
        return error_page(request, 503, message=labels.ERROR["audit_unwritable"])
    return None


def sheet_or_none(console):
    """The score sheet, or None when it cannot be read (the page says why, scores stay readable)."""
    try:
        return load_sheet(console.settings.quality_sheet)
    except QualityError as err:
        log.error("audit.sheet_unreadable", error=str(err))
        return None


def _matcher(query):
    user, action = query.get("user", "").strip()[:64], query.get("action", "").strip()[:16]
    if not user and not action:
        return None
    return lambda e: (not user or e.get("user") == user) and (not action or e.get("action") == action)


@page(Role.AUDITOR)
def access_page(request: Request, user: User) -> Response:
    """A page of the log (``?before=SEQ``: the older ones), and the chain checked incrementally:
    from where this console's last check stopped, if the bytes it covered are unchanged."""
    console = request.app.state.console
    journal = access_log(console)
    verified = journal.verify(getattr(request.app.state, "access_checkpoint", None))
    request.app.state.access_checkpoint = verified.checkpoint
    before = request.query_params.get("before", "")
    before_seq = int(before) if before.isdigit() and len(before) < 12 else None
    entries = journal.entries(PAGE_SIZE, _matcher(request.query_params), before=before_seq)
    older = entries[-1]["seq"] if len(entries) >= PAGE_SIZE and isinstance(entries[-1].get("seq"), int) else None
    return render(request, "access_log.html", entries=entries, verified=verified, older=older,
                  shown={k: request.query_params.get(k, "") for k in ("user", "action")}, limit=PAGE_SIZE)


@page(Role.AUDITOR)
def access_csv(request: Request, user: User) -> Response:
    console = request.app.state.console
    matcher = _matcher(request.query_params)
    refused = record(request, user, "export", "access log" + (" (filtered)" if matcher else ""), "ok")
    if refused:
        return refused
    stamp = console.now().strftime("%Y%m%d-%H%M%S")
    rows = access_log(console).csv_rows(matcher, headers=labels.ACCESS_CSV,
                                             words={"action": labels.ACTION, "role": labels.ROLE})
    return StreamingResponse(_with_bom(rows),  # the file is read as it is sent (in a worker thread) media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="access-log-{stamp}.csv"',
                                      "Cache-Control": "no-store"})


def _with_bom(rows):
    """UTF-8 with a byte-order mark, which spreadsheets need to read Chinese."""
    first = True
    for row in rows:
        yield (b"\xef\xbb\xbf" if first else b"") + row.encode("utf-8")
        first = False


routes = [
    Route("/access-log", access_page, methods=["GET"]),
    Route("/access-log.csv", access_csv, methods=["GET"]),
]
