"""The knowledge base on the desk: search as the agent types, and "used this article".

The article chosen is kept in the form's draft and saved on the order (the ``article`` of the
close or dispatch step, so it is in the order's history) when the agent saves the form.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core.staff import Role
from ivr.store.ticket import Ticket
from ivr.store.users import User
from ivr.web import order_form
from ivr.web.auth import page
from ivr.web.desk import own_order
from ivr.web.render import render


@page(Role.AGENT)
@own_order
def search(request: Request, user: User, console, ticket: Ticket) -> Response:
    query = request.query_params.get("q", "")
    found = console.kb.search(query, console.now()) if query.strip() else []
    return render(request, "_kb_results.html", found=found, query=query, number=ticket.number,
                  departments=console.rules.departments)


@page(Role.AGENT)
@own_order
def use(request: Request, user: User, console, ticket: Ticket) -> Response:
    """Link (or unlink, with an empty key) an article to the order's form, in its draft."""
    key = request.state.form.get("key", "").strip()[:64]
    article = console.kb.get(key) if key else None
    if article is not None and not article.valid_at(console.now()):
        article = None
    draft = console.drafts.get(ticket.number, user.name)
    values = order_form.typed(draft[0] if draft else {})
    values["article"] = article.key if article else ""
    console.drafts.save(ticket.number, user.name, values, console.now())
    return render(request, "_article_chosen.html", article=article, number=ticket.number)


routes = [
    Route("/desk/{number}/kb", search, methods=["GET"]),
    Route("/desk/{number}/article", use, methods=["POST"]),
]
