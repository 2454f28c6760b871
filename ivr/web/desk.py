"""The agent's desk (/desk): the agent's orders waiting to be written down, and the form.

Saving the form takes the same process step as ``ivr tickets close|dispatch``, through
:meth:`ivr.store.TicketStore.apply`, with the logged-in user as the actor. What the agent types
is saved as a draft while they type (``/desk/<number>/draft``), so a call that ends, a reload
or a closed tab loses nothing; the draft is dropped once the order is saved.
"""
from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.core.deadlines import Category
from ivr.core.dispatch_units import dispatch_units
from ivr.core.staff import Role
from ivr.core.workflow import Event, Status
from ivr.errors import InvalidTransition, TicketError, TicketNotFound
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web import labels, order_form
from ivr.web.auth import page
from ivr.web.render import error_page, render

T, E = labels.TEXT, labels.ERROR


class NotYours(Exception):
    """The order was taken in by another agent's phone."""


def units(console) -> dict[str, str]:
    """The units an order may be dispatched to (the core's rule: :mod:`ivr.core.dispatch_units`)."""
    return dispatch_units(console.rules)


def own_ticket(console, user: User, number: str) -> Ticket:
    ticket = console.store.get(number)
    if ticket.agent != user.phone:
        raise NotYours(number)
    return ticket


def deadline_view(console, values: dict[str, str]) -> dict:
    """What the deadline box says for the form's current category, urgency and outcome."""
    if values.get("outcome") == "close":
        return {"message": T["close_no_deadline"]}
    category = values.get("category", "")
    if category not in {c.value for c in Category}:
        return {"message": T["pick_category"]}
    urgent = values.get("urgent") in ("on", "true", "1")
    terms = console.store.policy.terms(category, urgent, console.now())
    return {"sign_by": terms.sign_by, "due": terms.due, "urgent": urgent, "category": category}


def show_desk(request: Request, user: User, number: str | None = None, values: dict | None = None,
              errors: dict | None = None, banner: str | None = None, status: int = 200) -> Response:
    """The whole desk page: the list, and the selected order's form (as typed, or its draft)."""
    console = request.app.state.console
    orders = console.store.received_by_agent(user.phone or "") if user.phone else []
    drafted = console.drafts.numbers(user.name)
    selected = None
    restored = None
    if number is None and orders:
        number = orders[0].number
    if number is not None:
        selected = own_ticket(console, user, number)
        if values is None:
            draft = console.drafts.get(number, user.name)
            if draft is not None:
                values, restored = draft[0], draft[1]
            else:
                values = {}
        if selected.status is not Status.RECEIVED and banner is None and not errors:
            banner = E["not_waiting"].format(number=number, status=labels.status(selected.status.value))
    values = order_form.typed(values or {})
    article = console.kb.get(values["article"]) if values["article"] else None
    from ivr.web.desk_state import view_of

    view = view_of(console, user)
    return render(request, "desk.html", status=status, orders=orders, drafted=drafted, selected=selected,
                  view=view, live=live_call(console, view), reasons=labels.PAUSE_REASON, note="", error="",
                  connected=console.presence is not None and console.presence.logged_in.is_set(),
                  values=values, errors=errors or {}, banner=banner, restored=restored,
                  flash=request.session.pop("flash", None), units=units(console),
                  categories=labels.CATEGORY, deadline=deadline_view(console, values), article=article,
                  departments=console.rules.departments)


def live_call(console, view) -> dict | None:
    """The call the agent is on now, for a page opened (or reloaded) during it: the same screen
    pop the live event shows, with its order when the intake has written it."""
    from ivr.ami.presence import pop_data, units

    if view is None or view.call is None:
        return None
    data = pop_data(view.call, console.rules, view.since or console.now())
    try:
        ticket, earlier = console.store.order_with_history(view.call.linkedid)
    except TicketError:  # not written yet (or no linkedid): the pop says so, as live
        return data
    return {**data, "order": {"ticket": ticket, "earlier": earlier, "units": units(console.rules)}}


def own_order(handler):
    """Run ``handler(request, user, console, ticket)`` on the order in the address, if it is one
    this agent took in; another agent's order is 403, an unknown number 404."""
    @functools.wraps(handler)
    def wrapped(request: Request, user: User) -> Response:
        console = request.app.state.console
        try:
            return handler(request, user, console, own_ticket(console, user, request.path_params["number"]))
        except NotYours:
            return error_page(request, 403, message=E["not_yours"])
        except TicketNotFound:
            return error_page(request, 404)
        except TicketError as err:  # a malformed number in the address
            return error_page(request, 404, message=str(err))
    return wrapped


@page(Role.AGENT)
def desk(request: Request, user: User) -> Response:
    return show_desk(request, user)


@page(Role.AGENT)
def my_orders(request: Request, user: User) -> Response:
    """The list of the agent's orders still to be written down (refreshed by the screen pop)."""
    console = request.app.state.console
    orders = console.store.received_by_agent(user.phone or "") if user.phone else []
    current = request.query_params.get("current")
    return render(request, "_my_orders.html", orders=orders, drafted=console.drafts.numbers(user.name),
                  selected={"number": current} if current else None, departments=console.rules.departments)


@page(Role.AGENT)
@own_order
def desk_order(request: Request, user: User, console, ticket: Ticket) -> Response:
    return show_desk(request, user, ticket.number)


@page(Role.AGENT)
@own_order
def save(request: Request, user: User, console, ticket: Ticket) -> Response:
    """Take the step the form asks for: close on the spot, or dispatch with its deadlines."""
    number = ticket.number
    checked = order_form.check(request.state.form, units(console))
    errors = dict(checked.errors)
    article_key = checked.values["article"].strip()
    if article_key:
        article = console.kb.get(article_key)
        if article is None or not article.valid_at(console.now()):
            errors["article"] = E["unknown_article"]
    if errors:
        console.drafts.save(number, user.name, checked.values, console.now())
        return show_desk(request, user, number, checked.values, errors, status=422)
    try:
        ticket = console.store.apply(number, checked.event, user.name, console.now(), **checked.data)
    except InvalidTransition as refused:
        banner = T["refused"].format(state=labels.status(refused.state.split(" ")[0]),
                                     step=labels.step(refused.event), allowed=labels.steps(refused.allowed))
        return show_desk(request, user, number, checked.values, banner=banner, status=409)
    console.drafts.discard(number, user.name)
    order = ticket.order
    if checked.event is Event.DISPATCH:
        unit = units(console).get(order.unit or "", order.unit)
        due = order.due.astimezone(console.tz).strftime("%Y-%m-%d %H:%M") if order.due else "—"
        request.session["flash"] = T["saved_dispatch"].format(number=number, unit=unit, due=due)
    else:
        request.session["flash"] = T["saved_close"].format(number=number)
    return RedirectResponse("/desk", status_code=303)


@page(Role.AGENT)
@own_order
def save_draft(request: Request, user: User, console, ticket: Ticket) -> Response:
    """Autosave: keep the form as typed; answers the small "saved at" note."""
    now = console.now()
    console.drafts.save(ticket.number, user.name, order_form.typed(request.state.form), now)
    return render(request, "_draft_status.html", saved_at=now)


@page(Role.AGENT)
@own_order
def deadline(request: Request, user: User, console, ticket: Ticket) -> Response:
    """The deadline the process would give, shown before saving (htmx, on every change)."""
    values = order_form.typed(request.query_params)
    return render(request, "_deadline.html", deadline=deadline_view(console, values))


routes = [
    Route("/desk", desk, methods=["GET"]),
    Route("/desk/orders", my_orders, methods=["GET"]),
    Route("/desk/{number}", desk_order, methods=["GET"]),
    Route("/desk/{number}", save, methods=["POST"]),
    Route("/desk/{number}/draft", save_draft, methods=["POST"]),
    Route("/desk/{number}/deadline", deadline, methods=["GET"]),
]
