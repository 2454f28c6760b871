"""Callback requests on the console (回拨, ``/callbacks``, supervisors): the newest requests with
their tries, and what became of each, in the supervisor's words.

The same requests as ``ivr callbacks list`` (:class:`ivr.store.surges.SurgeStore`). A request
joined to its number's open one, or refused (the number's callbacks for the day used up, or a
number that cannot be called back), says so with the reason (:func:`ivr.core.callbacks.admit`):
a number that asked too often is seen here, next to the calls it made. Read-only: the worker
dials, and nobody sets a request's outcome by hand.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core import callbacks as cb
from ivr.core import missed
from ivr.core.staff import Role
from ivr.store.callback_requests import Callback
from ivr.store.surges import SurgeStore
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import page
from ivr.web.render import render

LIMIT = 200
STATUSES = tuple(s.value for s in cb.CallbackStatus)


def reason_of(request: Callback) -> str:
    """Why a request ended as it did, in Chinese (the stored reason is the command line's)."""
    words = labels.CALLBACKS
    if request.status == cb.CallbackStatus.JOINED and request.joined_to is not None:
        return words["joined_to"].format(id=request.joined_to)
    if request.status == cb.CallbackStatus.REFUSED:
        verdict = request.verdict or cb.Verdict.REFUSE_NUMBER.value   # before 0012: only numbers were refused
        return words[f"why_{verdict}"]
    if request.status == cb.CallbackStatus.FAILED:
        return words["why_failed"].format(n=request.tries)
    if request.status == cb.CallbackStatus.ANSWERED and request.reason == missed.RANG_AGAIN:
        return words["why_rang_again"]
    return ""


@page(Role.SUPERVISOR)
def callbacks(request: Request, user: User) -> Response:
    console = request.app.state.console
    status = request.query_params.get("status", "")
    chosen = status if status in STATUSES else None
    found = SurgeStore(console.store.engine).callbacks(chosen, LIMIT)
    return render(request, "callbacks.html", requests=found, chosen=chosen or "", statuses=STATUSES,
                  queues=console.rules.queues, reason_of=reason_of, limit=LIMIT,
                  per_day=console.settings.callback_per_day)


routes = [Route("/callbacks", callbacks, methods=["GET"])]
