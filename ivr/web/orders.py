"""Work orders for supervisors, auditors and admins: a list, and one order's history (read-only).

Opening an order (the citizen's number, words and place) is written to the access log, like a
replay: who, when, from where, which order. Admins see citizens' numbers masked.

The supervisors' own pages (review, supervision list, wallboard) build on these later.
"""
from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core import workflow
from ivr.core.staff import Role
from ivr.errors import TicketError, TicketNotFound
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web.audit import record
from ivr.web.auth import page
from ivr.web.render import error_page, render
from ivr.web.replay_flags import check_of

READERS = (Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)


@page(*READERS)
def order_list(request: Request, user: User) -> Response:
    console = request.app.state.console
    status = request.query_params.get("status") or None
    if status not in {s.value for s in workflow.Status} | {None}:
        status = None
    orders = console.store.list(status=status, limit=100)
    return render(request, "orders.html", orders=orders, shown=status,
                  departments=console.rules.departments)


def order_in_address(handler):
    """Run ``handler(request, user, console, ticket)`` on the order the address names (404 if none)."""
    @functools.wraps(handler)
    def wrapped(request: Request, user: User) -> Response:
        console = request.app.state.console
        try:
            ticket = console.store.get(request.path_params["number"])
        except TicketNotFound:
            return error_page(request, 404)
        except TicketError as err:  # a malformed number in the address
            return error_page(request, 404, message=str(err))
        return handler(request, user, console, ticket)
    return wrapped


@page(*READERS)
@order_in_address
def order_page(request: Request, user: User, console, ticket: Ticket) -> Response:
    refused = record(request, user, "order", ticket.number, "ok")  # who looked at a citizen's matter
    if refused:
        return refused
    article = console.kb.get(ticket.order.article) if ticket.order.article else None
    return render(request, "order.html", ticket=ticket, order=ticket.order, article=article,
                  departments=console.rules.departments, queues=console.rules.queues,
                  allowed=workflow.allowed(ticket.order),
                  recording_check=check_of(console, ticket.number))


routes = [
    Route("/orders", order_list, methods=["GET"]),
    Route("/orders/{number}", order_page, methods=["GET"]),
]
