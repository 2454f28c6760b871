"""The FastAGI scripts ``route`` and ``rate``, registered in :data:`HANDLERS` under their names.

The dialplan's ``AGI(agi://host/route)``, the key ``"route"`` and the function :func:`route` are
the same string (wazo-agid style). A handler gets the call's :class:`~ivr.agi.server.AgiSession`
and the server's :class:`AgiContext`; it opens nothing itself.

``route`` asks the pure core (``decide``) and writes the decision's channel variables. On any
internal error it writes *nothing*: the dialplan sees an empty ``IVR_ACTION`` and its fail-safe
sends the call to the general 12345 queue. A citizen is never dropped because of us.

``rate`` hands the citizen's 1..5 key press to a :data:`RatingSink`. The ticket store provides
the real sink; until one is configured the rating is logged as not recorded (never faked).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ivr import dialplan_variables as dv
from ivr.agi.calls import call_from_env, dialled_from_env, parse_rating
from ivr.agi.clock import Clock, system_clock
from ivr.agi.protocol import preview
from ivr.agi.server import AgiSession, Handler
from ivr.agi.stats import AgiStats
from ivr.core.routing import decide
from ivr.core.rules import Rules
from ivr.errors import IvrError

# (linkedid of the call, rating 1..5, when it was given) -> stored. May block: run in a thread.
RatingSink = Callable[[str, int, datetime], None]


class RulesSource(Protocol):
    """Anything holding the rules in force (the reloader, or a fixed value in tests)."""

    rules: Rules


@dataclass
class StaticRules:
    """Rules that never change (tests, one-off runs)."""

    rules: Rules


@dataclass
class AgiContext:
    """What the handlers need, built once by the server's owner."""

    rules: RulesSource
    clock: Clock = system_clock
    stats: AgiStats | None = None
    rating_sink: RatingSink | None = None


async def route(agi: AgiSession, ctx: AgiContext) -> None:
    """Route one call: read the dialled number, decide, write the IVR_* variables."""
    env = agi.env
    ivr_line = None
    if dialled_from_env(env) is None:
        ivr_line = await agi.get_variable(dv.LINE)
    call = call_from_env(env, ivr_line)
    log = agi.log.bind(line=preview(call.line, 32), caller=preview(call.caller, 40))
    try:
        rules = ctx.rules.rules
        now = ctx.clock()
        started = time.perf_counter()
        decision = decide(call, rules, now)
        decision_us = (time.perf_counter() - started) * 1e6
        variables = dv.decision_variables(decision)
    except Exception:  # noqa: BLE001 - write nothing: the dialplan's fail-safe takes the call
        if ctx.stats is not None:
            ctx.stats.count("route_errors")
        log.exception("route.failed_to_decide", fail_safe=True)
        return
    if ctx.stats is not None:
        ctx.stats.observe_decision(decision_us)
    for warning in decision.warnings:
        log.warning("route.warning", warning=preview(warning, 200))
    await agi.set_variables(variables)
    log.info("route.decided", action=decision.action.value, mode=decision.mode.value,
             department=decision.department, queue=decision.queue,
             destination=decision.destination, decision_us=round(decision_us, 1),
             commands=agi.commands_sent)


async def rate(agi: AgiSession, ctx: AgiContext) -> None:
    """Record the citizen's rating.

    Dialplan: ``AGI(agi://host/rate[,${IVR_RATING}[,${CHANNEL(linkedid)}]])``; what is not passed
    as an argument is asked with GET VARIABLE (one round trip each).
    """
    args = agi.env.args
    text = args[0] if args else await agi.get_variable(dv.RATING)
    linkedid = args[1] if len(args) > 1 and args[1] else await agi.get_variable("CHANNEL(linkedid)")
    linkedid = linkedid or agi.env.uniqueid
    log = agi.log.bind(linkedid=preview(linkedid or "", 40))
    rating = parse_rating(text)
    if rating is None:
        log.info("rate.no_rating", given=preview(text or "", 10))
        if ctx.stats is not None:
            ctx.stats.count("ratings_absent")
        return
    if ctx.rating_sink is None:
        log.warning("rate.not_recorded", rating=rating, reason="no rating sink configured")
        if ctx.stats is not None:
            ctx.stats.count("ratings_not_recorded")
        return
    try:
        await asyncio.to_thread(ctx.rating_sink, linkedid, rating, ctx.clock())
    except IvrError as err:  # e.g. no work order for this call: the store says why
        log.warning("rate.refused", rating=rating, error=str(err))
        if ctx.stats is not None:
            ctx.stats.count("ratings_refused")
        return
    if ctx.stats is not None:
        ctx.stats.count("ratings_recorded")
    log.info("rate.recorded", rating=rating)


HANDLERS: dict[str, Handler] = {"route": route, "rate": rate}
