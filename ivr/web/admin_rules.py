"""The admin's page of routing rules (/admin/rules): edit or upload, check, diff, preview, apply,
history and roll back, every step in the audit trail with the logged-in user as its actor.

A text an admin edits or uploads is kept by its SHA-256 (``rules_texts``) and shown at
``/admin/rules/candidate/<sha256>``: the check's problems next to their lines, the semantic diff
with the version in force, the impact preview on request, and the apply form. Nothing reaches
the parts until the admin applies it with a reason; the apply is the same as ``ivr rules apply``
(:class:`ivr.lifecycle.apply.Lifecycle`). Hostile input: a file that is not UTF-8, larger than
1 MiB, a YAML bomb, a script in a comment: each is refused or shown escaped, never executed.
"""
from __future__ import annotations

import functools
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.core.rules_diff import diff
from ivr.core.staff import Role
from ivr.errors import IvrError, RulesError
from ivr.lifecycle.admin import Actor, Admin, open_admin
from ivr.lifecycle.preview import preview
from ivr.rules_file import MAX_RULES_BYTES, decode, read_text
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import csrf_ok, current_user, page, to_login
from ivr.web.holiday_banner import calendar_warning, calendar_years
from ivr.web.render import error_page, render

R = labels.RULES
_SHA = re.compile(r"^[0-9a-f]{64}$")
PREVIEW_DAYS = (7, 30, 90)


def tools(request: Request) -> Admin:
    """The admin's tools on the console's database (made once per application)."""
    state = request.app.state
    if getattr(state, "rules_admin", None) is None:
        console = state.console
        state.rules_admin = open_admin(console.settings, console.store.engine, clock=console.now)
    return state.rules_admin


def actor(user: User) -> Actor:
    return Actor(user.name, "console")


@page(Role.ADMIN)
def overview(request: Request, user: User) -> Response:
    admin = tools(request)
    try:
        text = read_text(admin.lifecycle.path)
        admin.lifecycle.in_force()
        broken = None
    except RulesError as err:
        text, broken = "", str(err)
    editing = request.query_params.get("edit", "")  # back from a candidate: its text, to go on editing
    kept = admin.versions.text(editing) if _SHA.match(editing) else None
    console = request.app.state.console
    return render(request, "rules.html", text=kept if kept is not None else text, broken=broken,
                  editing=kept is not None, in_force=admin.versions.in_force(),
                  parts=admin.lifecycle.status(), versions=admin.versions.history(50),
                  trail=admin.versions.trail(50), flash=request.session.pop("flash", None),
                  calendar_warning=calendar_warning(console), calendar_years=calendar_years(console))


def _take(request: Request, user: User, text: str, how: str) -> Response:
    """Keep ``text`` as a candidate, audit the step with what its check found, show it."""
    admin = tools(request)
    checked = admin.lifecycle.check(text, "routing_rules.yaml")
    sha = admin.versions.keep_text(text, admin.clock())
    admin.versions.audit(user.name, how, "ok" if checked.ok else "problems", admin.clock(), sha256=sha,
                         message=f"{len(text.encode('utf-8')):,} 字节",
                         detail={"problems": [str(p) for p in checked.problems]})
    return RedirectResponse(f"/admin/rules/candidate/{sha}", status_code=303)


@page(Role.ADMIN)
def edit(request: Request, user: User) -> Response:
    text = request.state.form.get("text", "").replace("\r\n", "\n")
    if len(text.encode("utf-8")) > MAX_RULES_BYTES:
        return error_page(request, 413, limit="1 MB")
    return _take(request, user, text, "edit")


async def upload(request: Request) -> Response:
    """A rules file sent as a file (multipart): the one form of the console that takes a file, so
    it reads its own body (one file, at most 1 MiB) and checks login, role and CSRF itself."""
    user = await current_user(request)
    if user is None:
        return to_login(request)
    request.state.user = user
    if user.role is not Role.ADMIN:
        return error_page(request, 403, role=labels.ROLE[user.role.value])
    try:
        async with request.form(max_files=1, max_fields=5, max_part_size=MAX_RULES_BYTES + 1) as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if not csrf_ok(request, fields):
                return error_page(request, 403, message=labels.ERROR["csrf"])
            sent = form.get("file")
            raw = await sent.read(MAX_RULES_BYTES + 1) if sent is not None and not isinstance(sent, str) else b""
    except Exception:  # noqa: BLE001 - a malformed or oversized multipart body: a plain refusal
        return error_page(request, 413, limit="1 MB")
    if len(raw) > MAX_RULES_BYTES:
        request.session["flash"] = R["too_big"]
        return RedirectResponse("/admin/rules", status_code=303)
    try:
        text = decode(raw, "routing_rules.yaml")
    except RulesError as err:
        request.session["flash"] = R["bad_file"].format(reason=err.problems[0].message)
        return RedirectResponse("/admin/rules", status_code=303)
    return await run_in_threadpool(_take, request, user, text, "upload")


def with_candidate(handler):
    """Run ``handler(request, user, sha, text)`` on the candidate text in the address (404 if none)."""
    @functools.wraps(handler)
    def wrapped(request: Request, user: User) -> Response:
        sha = request.path_params["sha"]
        text = tools(request).versions.text(sha) if _SHA.match(sha) else None
        if text is None:
            return error_page(request, 404)
        return handler(request, user, sha, text)
    return wrapped


@page(Role.ADMIN)
@with_candidate
def candidate(request: Request, user: User, sha: str, text: str) -> Response:
    return _candidate_page(request, user, sha, text)


@page(Role.ADMIN)
def rollback_page(request: Request, user: User) -> Response:
    """What rolling back to a version does, before it is done: the same check, what changes for
    callers and the preview as for any candidate, then a reason and the confirmation."""
    try:
        version, text = tools(request).versions.get(int(request.path_params["number"]))
    except IvrError:
        return error_page(request, 404)
    return _candidate_page(request, user, version.sha256, text, restores=version)


def _candidate_page(request: Request, user: User, sha: str, text: str, restores=None) -> Response:
    admin = tools(request)
    checked = admin.lifecycle.check(text, "routing_rules.yaml")
    problems_at: dict[int, list[str]] = {}
    for problem in checked.problems:
        problems_at.setdefault(problem.line, []).append(f"{problem.where}: {problem.message}" if problem.where
                                                        else problem.message)
    changes, result, error = [], None, None
    if checked.ok:
        try:
            _, in_force = admin.lifecycle.in_force()
            changes = diff(in_force, checked.rules)
            days = request.query_params.get("days")
            if days and days.isdigit() and int(days) in PREVIEW_DAYS:
                result = preview(admin.lifecycle.settings, admin.calls, in_force, checked.rules, admin.clock(),
                                 days=int(days), named=200)
                admin.versions.audit(user.name, "preview", "ok", admin.clock(), sha256=sha,
                                     message=f"重放最近 {days} 天",
                                     detail={"calls": result.replay.calls, "elsewhere": result.replay.elsewhere,
                                             "seconds": round(result.seconds, 3)})
        except RulesError as err:
            error = str(err)
    return render(request, "rules_candidate.html", sha=sha, lines=text.splitlines(), checked=checked,
                  problems_at=problems_at, changes=changes, preview=result, error=error,
                  days=PREVIEW_DAYS, flash=request.session.pop("flash", None), restores=restores,
                  departments=request.app.state.console.rules.departments,
                  queues=request.app.state.console.rules.queues)


def _why(form: dict[str, str], required: bool) -> str | None:
    message = " ".join(form.get("message", "").split())
    if (required and not message) or len(message) > 500:
        return None
    return message


@page(Role.ADMIN)
@with_candidate
def apply(request: Request, user: User, sha: str, text: str) -> Response:
    message = _why(request.state.form, required=True)
    if message is None:
        request.session["flash"] = R["need_why"]
        return RedirectResponse(f"/admin/rules/candidate/{sha}", status_code=303)
    outcome = tools(request).lifecycle.apply(text, actor(user), message, name="routing_rules.yaml")
    return render(request, "rules_outcome.html", status=200 if outcome.ok else 409, outcome=outcome)


@page(Role.ADMIN)
def rollback(request: Request, user: User) -> Response:
    number = request.path_params["number"]
    message = _why(request.state.form, required=True)
    if message is None:
        request.session["flash"] = R["need_why"]
        return RedirectResponse(f"/admin/rules/rollback/{number}", status_code=303)
    try:
        outcome = tools(request).lifecycle.rollback(int(number), actor(user), message)
    except IvrError as err:
        request.session["flash"] = str(err)
        return RedirectResponse("/admin/rules", status_code=303)
    return render(request, "rules_outcome.html", status=200 if outcome.ok else 409, outcome=outcome)


routes = [
    Route("/admin/rules", overview, methods=["GET"]),
    Route("/admin/rules/edit", edit, methods=["POST"]),
    Route("/admin/rules/upload", upload, methods=["POST"]),
    Route("/admin/rules/candidate/{sha}", candidate, methods=["GET"]),
    Route("/admin/rules/candidate/{sha}/apply", apply, methods=["POST"]),
    Route("/admin/rules/rollback/{number:int}", rollback_page, methods=["GET"]),
    Route("/admin/rules/rollback/{number:int}", rollback, methods=["POST"]),
]
