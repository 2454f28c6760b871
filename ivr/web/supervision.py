"""Supervision (督办, ``/supervision``): overdue and supervised orders, results to review, and
citizens to call back after a rating of 1 or 2 (回访).

Every button takes one step of the process through :meth:`ivr.store.TicketStore.apply`, the same
as ``ivr tickets``, with the logged-in supervisor as the actor: ``escalate`` (列入督办),
``redispatch`` (to the same or another unit, new deadlines), ``review`` (pass: archived; fail:
dispatched again and supervised), ``callback`` (回访, with whether the citizen was reached).
A step the process refuses is shown with the reason and the steps it allows now.
"""
from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.core import workflow
from ivr.core.staff import Role
from ivr.core.workflow import Event, Status
from ivr.errors import InvalidTransition, TicketError, TicketNotFound
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web import labels
from ivr.web.auth import page
from ivr.web.desk import units
from ivr.web.render import render
from ivr.web.replay_flags import storage

S = labels.SUPERVISION
CALLBACK_DAYS = 30
LIMIT = 200
# the page's buttons: (the step, the data it always carries)
STEPS = {"escalate": (Event.ESCALATE, {}), "redispatch": (Event.REDISPATCH, {}),
         "review_pass": (Event.REVIEW, {"passed": True}), "review_fail": (Event.REVIEW, {"passed": False}),
         "callback": (Event.CALLBACK, {})}


def overdue_and_supervised(store) -> list[Ticket]:
    """Open orders that missed a deadline, are escalated or were dispatched again, most urgent
    (earliest deadline) first."""
    found = {t.number: t for t in store.list(supervision=True, limit=LIMIT)}
    found.update((t.number, t) for t in store.list(overdue=True, limit=LIMIT) if t.order.is_open)
    far = max((t.created_at for t in found.values()), default=None)
    return sorted(found.values(), key=lambda t: (t.order.due or far, t.number))


def overdue_steps(order: workflow.WorkOrder) -> list[str]:
    """The buttons an overdue or supervised order offers now (列入督办, 重新派单)."""
    return [step for step in ("escalate", "redispatch") if step in workflow.allowed(order)]


def last_of(ticket: Ticket, event: str):
    """The newest history line of ``event`` (the unit's reply, the last callback), or None."""
    return next((e for e in reversed(ticket.history) if e.event == event), None)


@page(Role.SUPERVISOR)
def supervision(request: Request, user: User) -> Response:
    console = request.app.state.console
    store, now = console.store, console.now()
    return render(request, "supervision.html", now=now, overdue=overdue_and_supervised(store),
                  replied=store.list(status=Status.REPLIED.value, limit=LIMIT),
                  callbacks=store.rated(workflow.CALLBACK_RATINGS, now - timedelta(days=CALLBACK_DAYS), LIMIT),
                  units=units(console), departments=console.rules.departments, last_of=last_of,
                  overdue_steps=overdue_steps, flash=request.session.pop("flash", None),
                  problem=request.session.pop("problem", None), storage=storage(console))


@page(Role.SUPERVISOR)
def take_step(request: Request, user: User) -> Response:
    """One step on one order from the page; back to the page with what happened."""
    console = request.app.state.console
    number = request.path_params["number"]
    form = request.state.form
    chosen = STEPS.get(form.get("step", ""))
    back = RedirectResponse(f"/supervision#o-{number}", status_code=303)
    if chosen is None:
        request.session["problem"] = labels.ERROR["404_text"]
        return back
    event, data = chosen[0], dict(chosen[1])
    note = " ".join(form.get("note", "").split())[:workflow.MAX_TEXT] or None
    if event is Event.ESCALATE:
        data["reason"] = note or S["supervise"]
    else:
        data["note"] = note
    unit = form.get("unit", "").strip()
    if event in (Event.REDISPATCH, Event.REVIEW) and not data.get("passed") and unit:
        if unit not in units(console):
            request.session["problem"] = labels.ERROR["unknown_unit"]
            return back
        data["unit"] = unit
    if event is Event.CALLBACK:
        data["reached"] = form.get("reached") == "yes"
    try:
        ticket = console.store.apply(number, event, user.name, console.now(), **data)
    except InvalidTransition as refused:
        request.session["problem"] = labels.TEXT["refused"].format(
            state=labels.status(refused.state.split(" ")[0]), step=labels.step(refused.event),
            allowed=labels.steps(refused.allowed))
        return back
    except TicketNotFound:
        request.session["problem"] = labels.ERROR["404_text"]
        return back
    except TicketError as err:
        request.session["problem"] = str(err)
        return back
    if event is Event.REVIEW:  # passed or sent back: the supervisor must see which was recorded
        key = "review_passed" if data.get("passed") else "review_failed"
        unit = ticket.order.unit or ""
        request.session["flash"] = S[key].format(number=number, unit=units(console).get(unit, unit))
    else:
        request.session["flash"] = S["done"].format(step=labels.step(event.value), number=number)
    return back


routes = [
    Route("/supervision", supervision, methods=["GET"]),
    Route("/supervision/{number}", take_step, methods=["POST"]),
]
